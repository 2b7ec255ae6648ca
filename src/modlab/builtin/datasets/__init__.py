"""Training data for the built-in analyzers: loaders, label mapping, fixed evaluation splits.

Public sets are read from ``get_settings().shared_dir / "data"`` (present on every
machine); what modlab wrote itself (hard negatives, short replies, comment spam) lives in
the repository under ``data/builtin/`` and the rest of the quality data is generated here
from a fixed seed.

Every source row is first mapped to *concepts* shared by all analyzers:

* ``hate``: hate speech against a group (Davidson class 0, TweetEval hate = 1, ToxiGen hate);
* ``offensive``: offensive / insulting / abusive (every hate row too; Davidson class 1,
  TweetEval offensive = 1);
* ``profane``: contains a swear word according to modlab's profanity lexicon (NORMAL mode),
  never set on the hand-written hard negatives;
* the LLM-labelled concepts (``LLM_CONCEPTS``: sexual, flirtation, threat, violence,
  self-harm, drugs/weapons, sensitive topics and subtypes, plus ``hate_threat``) from hand-written
  seeds and LLM auto-labels of unlabelled text (see "LLM-labelled concepts" below).

and each analyzer's labels are a mapping of those concepts (:data:`CONCEPT_MAP`).

Evaluation splits never reach training, validation or threshold tuning:

* TweetEval: the official ``test`` splits;
* Davidson and SMS spam: a fixed 20 % chosen by a hash of the normalised text (stable on
  every machine, and duplicates always fall on the same side);
* modlab's own comment spam and ordinary comments with links and prices (``comment_spam``,
  no target): the same fixed 25 % as the held-out seeds;

and any training text equal (after normalisation) to an evaluation text is dropped.

The package, by layer: :mod:`.concepts` (concepts, label mapping, ``Example``),
:mod:`.sources` (public sets and modlab's lists), :mod:`.seeds` (hand-labelled seeds and
templates), :mod:`.llm` (LLM-labelled concepts), :mod:`.lexicon` (lexicon-labelled sentiment),
:mod:`.evalsets` (held-out sets), :mod:`.moderation` and :mod:`.quality` (the training
pools), :mod:`.recipes` (one per analyzer).
"""

from __future__ import annotations

from modlab.builtin.datasets.concepts import (
    ALL_CONCEPTS,
    CONCEPT_MAP,
    CONCEPTS,
    IMPLIED_CONCEPTS,
    LLM_CONCEPTS,
    NO_DATA_LABELS,
    SENTIMENTS,
    EvalSet,
    Example,
    concept_labels,
    is_profane,
)
from modlab.builtin.datasets.evalsets import (
    COMMENT_HAM_SECTION,
    IDENTITY_STATEMENTS_FILE,
    SELF_HARM_STATEMENTS_FILE,
    SENTIMENT_REAL_FILE,
    THREAT_STATEMENTS_FILE,
    drop_eval,
    eval_keys,
    eval_sets,
    everyday_heldout,
    sentiment_real,
)
from modlab.builtin.datasets.lexicon import (
    LEXICON_SENTIMENT_ROWS,
    lexicon_sentiment,
    lexicon_sentiment_examples,
)
from modlab.builtin.datasets.llm import (
    CONCEPT_KEYWORDS,
    LLM_LABELS_FILE,
    LLM_OVERRIDES_FILE,
    LLM_SENTIMENT_MIN_P,
    LLM_SUBTYPE_THRESHOLDS,
    LLM_THRESHOLDS,
    apply_overrides,
    keyword_rx,
    llm_concepts,
    llm_overrides,
    llm_sentiment,
    read_llm_labels,
)
from modlab.builtin.datasets.moderation import (
    drop_heldout_seeds,
    example_repeats,
    extended_moderation_examples,
    llm_examples,
    moderation_examples,
    toxicity_examples,
)
from modlab.builtin.datasets.quality import (
    char_noise,
    incoherent_texts,
    keyboard_mash,
    quality_examples,
    shuffled_sentence,
    unsubstantial_texts,
    word_salad,
)
from modlab.builtin.datasets.recipes import (
    BUILDABLE,
    SMS_FILLER,
    Recipe,
    llm_recipe_examples,
    recipe,
)
from modlab.builtin.datasets.seeds import (
    CASUAL_PROFANITY_FILE,
    GROUPS_PER_TEMPLATE,
    IDENTITY_TEMPLATES_FILE,
    LLM_SEEDS_FILE,
    MODERATION_REPEATS,
    OTHER_TARGETS_PER_TEMPLATE,
    REVIEWED_REAL_FILE,
    SEED_HELDOUT_PERCENT,
    SMALL_RECIPE_REPEATS,
    Seed,
    casual_profanity_examples,
    everyday_first_person,
    identity_neutral,
    identity_template_examples,
    read_labelled_lines,
    read_reviewed_real,
    read_seeds,
    seed_example,
    seed_heldout,
)
from modlab.builtin.datasets.sources import (
    HELDOUT_PERCENT,
    REPO_DATA_DIR,
    clean_tweet,
    everyday_texts,
    hard_negative_sections,
    hard_negatives,
    heldout,
    read_davidson,
    read_english_sentences,
    read_lines,
    read_sms,
    read_toxigen,
    read_tweeteval,
    repo_list,
    shared_data_dir,
)

__all__ = [
    "IDENTITY_STATEMENTS_FILE",
    "SELF_HARM_STATEMENTS_FILE",
    "SENTIMENT_REAL_FILE",
    "THREAT_STATEMENTS_FILE",
    "CONCEPTS",
    "CONCEPT_MAP",
    "NO_DATA_LABELS",
    "Example",
    "EvalSet",
    "is_profane",
    "concept_labels",
    "LLM_CONCEPTS",
    "ALL_CONCEPTS",
    "SENTIMENTS",
    "IMPLIED_CONCEPTS",
    "HELDOUT_PERCENT",
    "REPO_DATA_DIR",
    "shared_data_dir",
    "heldout",
    "clean_tweet",
    "read_lines",
    "repo_list",
    "read_davidson",
    "read_tweeteval",
    "read_toxigen",
    "read_sms",
    "read_english_sentences",
    "everyday_texts",
    "hard_negatives",
    "hard_negative_sections",
    "identity_neutral",
    "everyday_first_person",
    "LLM_SEEDS_FILE",
    "REVIEWED_REAL_FILE",
    "SEED_HELDOUT_PERCENT",
    "Seed",
    "read_labelled_lines",
    "read_reviewed_real",
    "read_seeds",
    "seed_heldout",
    "seed_example",
    "IDENTITY_TEMPLATES_FILE",
    "GROUPS_PER_TEMPLATE",
    "OTHER_TARGETS_PER_TEMPLATE",
    "identity_template_examples",
    "CASUAL_PROFANITY_FILE",
    "casual_profanity_examples",
    "MODERATION_REPEATS",
    "SMALL_RECIPE_REPEATS",
    "LLM_LABELS_FILE",
    "LLM_THRESHOLDS",
    "LLM_SUBTYPE_THRESHOLDS",
    "LLM_SENTIMENT_MIN_P",
    "CONCEPT_KEYWORDS",
    "keyword_rx",
    "llm_concepts",
    "llm_sentiment",
    "read_llm_labels",
    "LLM_OVERRIDES_FILE",
    "llm_overrides",
    "apply_overrides",
    "eval_sets",
    "everyday_heldout",
    "sentiment_real",
    "LEXICON_SENTIMENT_ROWS",
    "lexicon_sentiment",
    "lexicon_sentiment_examples",
    "COMMENT_HAM_SECTION",
    "eval_keys",
    "drop_eval",
    "moderation_examples",
    "llm_examples",
    "drop_heldout_seeds",
    "extended_moderation_examples",
    "toxicity_examples",
    "example_repeats",
    "keyboard_mash",
    "word_salad",
    "shuffled_sentence",
    "char_noise",
    "incoherent_texts",
    "unsubstantial_texts",
    "quality_examples",
    "Recipe",
    "BUILDABLE",
    "recipe",
    "SMS_FILLER",
    "llm_recipe_examples",
]
