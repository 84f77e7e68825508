"""Tagging: countries and organisations with the phrase behind each, topics and tone, the lead actor.

One module per job: `matcher` (actors in text), `inflect` (the lexicon's word forms), `lexicon` (topic and tone
cues and the rules over them), `sentences`, `lead` (the lead-actor rule), and `tagger`, the facade that runs them
all (with the learned layer of `mapdata.classify`) on a batch of items.
"""

from .inflect import inflections
from .lead import lead_actor
from .lexicon import PARAMS, Cue, Lexicon, ScoreParams, words_text
from .matcher import ActorTagger
from .sentences import first_sentence_end
from .tagger import Tagger, default_tagger, involved, weights_file

__all__ = [
    "PARAMS",
    "ActorTagger",
    "Cue",
    "Lexicon",
    "ScoreParams",
    "Tagger",
    "default_tagger",
    "first_sentence_end",
    "inflections",
    "involved",
    "lead_actor",
    "weights_file",
    "words_text",
]
