"""The phrases ``longtail.serving.query`` understands: word lists and compiled patterns over lower-cased text with
straight apostrophes and hyphens, and ``amount_value`` for the prices they capture."""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

from longtail.serving.instruction_phrases import INSTRUCTIONS
from longtail.serving.lexical import EVALUATIVE_WORDS
from longtail.serving.occasions import OCCASION_WORDS
from longtail.serving.vocabulary import slips


def _misspellings(targets: list[str], real_words: frozenset[str]) -> dict[str, str]:
    """Misspelling -> word, for each target of six letters or more: one of its ``slips`` ("chrismas", "popluar",
    "birthdaay"; a changed letter only in targets of nine letters or more: "anniversery", while "present" is no
    "prevent"), never shorter than six letters, so that short real words stay themselves ("eater" is no "easter").
    Longer real words that are one such edit from a target ("eastern", "feather", "teaches") are in ``real_words``
    and kept."""
    typos: dict[str, str] = {}
    for word in targets:
        for typo in slips(word, changes=len(word) >= 9):
            if len(typo) >= 6 and typo not in real_words and typo not in targets and typo not in OCCASION_WORDS:
                typos.setdefault(typo, word)
    return typos


# The words the parser's rules key on that shoppers misspell: occasions and the price and popularity words. The
# real shops' title words one edit from them were eastern, feather(s) and childrens (kept: children's); "expansive"
# is a real word one letter from "expensive".
MISSPELLINGS = _misspellings(
    sorted(word for word in OCCASION_WORDS if len(word) >= 6 and word.isalpha())
    + "popular unusual expensive affordable premium bargain cheaper without nothing anything something".split(),
    frozenset("eastern feather feathers farther fiends preset presets poplar teaches beastie expansive".split()),
)


def normalised(query: str) -> str:
    """Lower case, straight apostrophes and hyphens, one space between words, the misspellings of
    ``MISSPELLINGS`` ("chrismas", "popluar") read as the words meant."""
    text = query.lower().replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"[a-z]+", lambda word: MISSPELLINGS.get(word.group(0), word.group(0)), text)
    return " ".join(text.split())


# Words dropped from the free text: chat, not shopping.
CHAT_FILLER = frozenset(
    "please thanks thank cheers hi hello hey show me find get give want wanted need looking look search browse i "
    "i'm im i'd id i've we we're would could can do you your have got some something anything stuff any maybe "
    "just also again ok okay um uh hmm well really actually instead now then a an the what about how is are there "
    "it that this perhaps my but no yes not sure meant mean like love would these those ones one either more too "
    "else other others and she he idea ideas recommend recommendation recommendations suggest suggestion "
    "suggestions options next page ooh oh nah pls plz tbh btw meh lol similar let let's lets think ideally loads "
    "already honestly go try whatever whatever's though anyway somewhere having doing bring celebrate tell help "
    "buying bought should coming before through".split()
)
# Words that name no kind of item: alone in the free text ("popular items"), they are dropped; beside others they
# stay, since shops name categories with them ("cleaning products").
GENERIC_NOUNS = frozenset("thing things item items product products bits".split())
# Further words that name no category, dropped from the phrase given to the semantic category fallback.
FUNCTION_WORDS = frozenset(
    "for my of to in on with and or from by at as one ones his her their our who likes loves into new little big bit "
    "lot thing things item items product products buy buying cool fun best perfect special".split()
).union(CHAT_FILLER, EVALUATIVE_WORDS)

_CURRENCY = r"(?:£|\$|€)"
_UNIT = r"(?:p|pence|pounds?|quid|bucks?|dollars?|euros?|gbp|usd|eur)\b"
# Not from inside another number: besides being wrong, restarting at each digit made a 2,000-digit message take
# seconds.
_NUMBER = r"(?<![\d.,])(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?|\.\d{1,2})"
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "a hundred": 100, "hundred": 100, "fiver": 5, "tenner": 10, "a": 1,  # "over a pound", "under a quid"
}  # fmt: skip
_WORD_NUMBER = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
# A bare number is a price only when no unit of something else follows it ("under 5s", "12 pack", "ages 4 to 8").
_NOT_PRICE_AFTER = (
    r"(?!\s?(?:years?|yrs?|yo|months?|weeks?|days?|hours?|mins?|minutes?|kg|g|grams?|ml|cl|l|litres?|liters?|oz|"
    r"lbs?|packs?|pcs|pieces?|cm|mm|m|inch(?:es)?|ft|feet|people|persons?|servings?|tiers?|cups?|items?|st|nd|rd|"
    r"th|s|x)\b|\s?%|\w|[.,]\d)"
)
_MARKED_AMOUNT = (
    rf"(?:{_CURRENCY}\s?{_NUMBER}(?:\s?{_UNIT})?|{_NUMBER}\s?{_UNIT}|(?<![\w-])(?:{_WORD_NUMBER})\s{_UNIT}|"
    r"(?:a\s)?(?:fiver|tenner))"
)
_AMOUNT = rf"(?:{_MARKED_AMOUNT}|{_NUMBER}{_NOT_PRICE_AFTER})"
# "nothing over £5" is an upper bound, "nothing under £5" a lower one.
_NOTHING = r"(?:nothing|none|no (?:items?|ones?|products?))(?: (?:that(?:'s| is| are)|costing|priced|at))?"
_UPPER = (
    r"(?:(?<!no )(?<!not )(?:less|lower|cheaper) th[ae]n|under|below|beneath|no(?:t)? (?:more|higher|greater) th[ae]n|"
    rf"not (?:over|above)|{_NOTHING} (?:over|above|more than|higher than|dearer than|pricier than|exceeding)|"
    r"(?:don't|do not|won't|will not|can't|cannot|not)(?: want to| wanna| going to| able to)? (?:spend|pay|go)"
    r"(?: any)? (?:more than|over|above|beyond)|up to|upto|at most|max(?:imum)?(?: of)?|within|<=?|spend(?:ing)?"
    r"(?: up to| about| around| roughly| at most| max)?|budget(?:'s| is| of)?(?: now)?(?: about| around| roughly)?)"
)
_LOWER = (
    r"(?:(?<!no )(?<!not )(?:more|greater|higher) th[ae]n|over|above|at least|from|min(?:imum)?(?: of)?|"
    r"starting (?:at|from)|upwards of|no(?:t)? (?:less|lower|cheaper) th[ae]n|>=?|more expensive than|"
    r"pricier than|north of)"
)
_PRICE_WORDS_AFTER = r"(?:\s?(?:ones?|options?|things?|items?|stuff|please))?"
_MORE_OR_LESS = r"(?:(?:something|anything|some|ones?|a (?:bit|little|lot)|bit|slightly|much|even|way|any)\s+)*"


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
CARDINALS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")  # "number three"
# Positions counted from the end of the shown list, and its middle ("the middle one" of five is the third).
FROM_LAST = {"last": 1, "final": 1, "penultimate": 2, "second to last": 2, "second last": 2, "one before last": 2,
             "one before the last": 2}  # fmt: skip
_ORDINAL = "|".join(ORDINALS) + r"|\d{1,2}(?:st|nd|rd|th)|penultimate|second[- ](?:to[- ])?last|middle"
# What may follow a reference that has no noun of its own: the end of the clause or a clause word.
_PHRASE_END = (
    r"(?=\s*(?:$|[,.;:!?|)]|-(?:\s|$)|(?:is|was|were|are|went|would|will|looks?|looked|seems?|please|but|and|or|"
    r"more|too|again|though|instead)\b))"
)


# Asking for the less known ("tail") or the popular ("any"); the first match at a position wins, so "less
# mainstream" is read before "mainstream".
_TAIL = "|".join([
    r"(?:something |a bit |bit |a little |even |much |way )*(?:more )?(?:unusual|uncommon|quirky|quirkier|niche|rare|"
    r"rarer|obscure|underrated|under-rated|offbeat|off-beat|unconventional|undiscovered|unique|left[- ]field|"
    r"off[- ]the[- ]wall|unexpected|eccentric|esoteric|one[- ]of[- ]a[- ]kind)",
    r"hidden (?:gems?|treasures?|finds?)", r"weird and wonderful", r"oddballs?", r"indie",
    r"(?:small|smaller|independent) (?:makers?|brands?|producers?|businesses|labels?|companies)",
    r"(?:won't|wouldn't|will not|would not|haven't|have not|never) (?:have |ever )*(?:come across|seen|heard of)",
    r"(?:don't|do not|wouldn't|won't) see (?:in )?every(?:where| shop)",
    r"(?:less|lesser|little)[- ](?:well[- ])?known",
    r"not (?:very |so |that )?well[- ]known", r"off the beaten (?:track|path)", r"(?:under|off) the radar",
    r"(?:something|a bit|a little|bit|completely|totally|really|refreshingly) different",
    r"(?:(?:a )?(?:bit |little |lot )?less|not|nothing|aren't|isn't) (?:the |so |too |that |very |as )?(?:usual|"
    r"obvious|mainstream|popular|common|predictable|ordinary|typical|generic|conventional|commercial|run[- ]of[- ]the"
    r"[- ]mill|famous|standard|same old)",
    r"(?:other than|apart from|besides|beyond|away from) (?:the |your )?(?:usual|obvious|mainstream|popular ones|"
    r"bestsellers?)",
    r"out of the ordinary", r"not (?:the )?bestsellers?",
    r"(?:already (?:got|have|had|tried|bought|read|own|know)|bored (?:of|with)|sick of|tired of|fed up with) (?:all )?"
    r"(?:of )?(?:the |your )?(?:usual|obvious|mainstream|popular|same old|well[- ]known)(?: (?:ones|stuff|things|"
    r"suspects|favou?rites|brands|titles))?", r"never heard of", r"unheard[- ]of", r"surprise me",
    r"(?:nobody|no one|no-one|not many people|few people|hardly anyone)(?:'s| has| have)?(?: ever)? (?:heard of|"
    r"knows? (?:of|about))",
])  # fmt: skip
_ANY = "|".join([
    r"(?:most |more |really |very )?popular(?! culture)", r"best[- ]?sell(?:ers?|ing)", r"top[- ]sell(?:ers?|ing)",
    r"top[- ]rated", r"most (?:bought|sold|loved|liked|ordered|purchased|requested)",
    r"what (?:do |does |did )?(?:everyone|everybody|most people|people|others|other people|other shoppers|customers) "
    r"(?:usually |normally )?(?:buys?|gets?|likes?|loves?|has|have|chooses?|picks?|orders?|go(?:es)? for)",
    r"sells? (?:the )?(?:best|most)", r"selling (?:the )?(?:best|most)", r"sell(?:s|ing)? (?:really |very )?well",
    r"flying off the shel(?:f|ves)", r"what(?:'s| is| are) (?:hot|trending|selling)",
    r"(?:everyone|everybody|people)(?:'s|s') favou?rites?", r"(?:the |your )?usual (?:favou?rites|stuff|suspects|ones)",
    r"(?:fan|customer|crowd|all[- ]time) favou?rites", r"crowd[- ]pleasers?", r"mainstream",
    r"(?<!less )(?<!lesser )well[- ]known", r"trending", r"tried and tested", r"safe bets?", r"the usual",
    r"(?:everyone|everybody|most people) (?:usually |normally |always )?(?:reads?|buys?|gets?|orders?|picks?|"
    r"chooses?|subscribes? to)\b",
    r"(?:people|others|shoppers|customers) (?:are )?(?:buy|get|read|order|pick|choose|buying|getting|ordering) "
    r"(?:the )?most\b",
])  # fmt: skip


# Colours, after "not in": "but not in blue" rules the colour out ("not in a rush" rules nothing out).
_COLOUR = (
    r"(?:red|blue|green|pink|black|white|yellow|orange|purple|gold|silver|grey|gray|brown|navy|cream|beige|turquoise|"
    r"teal|lilac|ivory|copper)"
)

# The words that say where in a shop: "the ice cream aisle", "the freezer section".
_SHOP_PLACE = r"(?:aisles?|sections?|departments?|shel(?:f|ves)|counters?)"


def _words(pattern: str) -> re.Pattern:
    return re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])")


patterns = SimpleNamespace(
    instructions=INSTRUCTIONS,
    clear=re.compile(
        r"\b(?:start(?:ing)? (?:again|over|afresh|anew|fresh|from scratch|from the (?:beginning|top))|back to square "
        r"one|(?:let'?s )?begin again|scratch (?:all (?:of )?)?(?:that|this|it)|forget (?:that|it|all "
        r"(?:that|of that|of it|this)|everything|about (?:it|that)|what i said)|never ?mind(?=\s*(?:$|[,.;:!?|]|"
        r"(?:that|it|all that|then)\b))|scratch that|reset(?: (?:it|everything|the search|(?:all )?filters))?|clear "
        r"(?:it|that|everything|all|the filters|(?:all )?filters|the search)|show me (?:anything|everything|whatever)|"
        r"anything at all|any(?:thing)? (?:is fine|goes|will do)|whatever(?:'s| is) fine|whatever you(?:'ve| have)? "
        r"got|new search|new plan|(?:wipe the|a clean|a blank|with a clean) slate(?: clean)?|ignore (?:that|what i "
        r"said|all that|everything i said)|(?:scrap|wipe|ditch|bin) (?:that|it|this|everything|the lot|all (?:that|of "
        r"that|this|of this|of it)))\b"
    ),
    position=re.compile(
        r"(?:\b(?:more|something|anything|things?|ones?|items?|stuff|others?|some)\s+)?(?:\b(?:a bit |a little |"
        r"much )?more\s+)?\b(?:like|similar to|same as|more of|along the lines of|in the style of|resembling|closer "
        rf"to|akin to)\s+(?:the\s+|that\s+|your\s+)?(?P<position>{_ORDINAL}|last|#\s?\d{{1,2}}|(?:number|no\.?|item|"
        r"option|result) \d{1,2})(?:\s+(?:one|item|option|result|suggestion|product|thing|pick|choice))?(?!\w)"
    ),
    # "forget wine, ...", "never mind the candles": the shopper drops what they named; nothing is ruled out.
    dropped=re.compile(
        r"(?<!don't )(?<!dont )(?<!not )\b(?:forget|never ?mind|ditch|(?:gone|went) off)\s+(?!(?:anything|everything|"
        r"any|stuff) (?:with|that|featuring|containing)\b)(?:about\s+)?(?:the\s+|those\s+|these\s+)?"
        r"(?P<words>[a-z0-9][^,.;:!?|]*?)(?=\s*(?:$|[,.;:!?|]|\s-\s|\b(?:i|i'm|i'd|we|and|but|just|instead|let's|show|give|"
        r"get|find)\b))"
    ),
    # A shown item pointed at on its own, without "like": "the third one is lovely", "2nd one but in pink", "#2
    # please", "number 4?", "the one before last". A bare "#2" or "number 4" must end its phrase, so that "a number 1
    # dad mug" points at nothing.
    position_alone=re.compile(
        rf"(?:\b(?:the|that|your)\s+|^|(?<=[,.;:!?|] ))(?P<position>{_ORDINAL}|last|final)\s+(?:ones?|item|option|"
        rf"result|suggestion|product|thing|pick|choice)\b|(?:(?<!\w)#\s?|\b(?:number|no\.?|item|option|result)\s?)"
        rf"(?P<number>\d{{1,2}}|{'|'.join(CARDINALS)})(?:\s+ones)?{_PHRASE_END}|\b(?:the|that)\s+(?P<bare>"
        rf"{_ORDINAL}|last|one before (?:the )?last){_PHRASE_END}"
    ),
    # A shown item named by words of its title: "the whole wheat one", "the colouring set is good", "the cake stand!
    # anything similar?" (but "the quilting ones" are a kind).
    shown_title=re.compile(
        r"\b(?:the|that)\s+(?P<words>[a-z0-9][a-z0-9'-]*(?: [a-z0-9][a-z0-9'-]*){0,4}?)\s+one\b|(?:^|(?<=[,.;:!?|] ))"
        r"(?:the|that)\s+(?P<subject>[a-z0-9][a-z0-9'-]*(?: [a-z0-9][a-z0-9'-]*){0,4}?)(?=\s+(?:is|was|looks?|looked|"
        r"seems?)\b)|\b(?:the|that)\s+(?P<exclaimed>[a-z0-9][a-z0-9'-]*(?: [a-z0-9][a-z0-9'-]*){0,4}?)(?=\s*[!,.]+\s*"
        r"(?:(?:anything|something|got|have you got|any) )?(?:(?:more )?similar|more like (?:it|that|this))\b)"
    ),
    # Where an item's name ends ("the regency cakestand but cheaper", "... for my mum"), unless the clause quotes
    # the item's wording ("that says", "with the words") or its look ("that looks like a bar of chocolate"), which
    # ``wording`` then drops from the name.
    name_end=re.compile(
        r" (?:but|for|in|please|(?:that|which)(?! (?:says|reads|has the words?|looks like|is shaped like)\b))(?= |$)"
    ),
    # Words that usually end a name too, though some names run on past them ("tea and sympathy", "door mat with the
    # union flag").
    name_joint=re.compile(r" (?:and|with(?! the words?\b))(?= |$)"),
    wording=re.compile(
        r"\b(?:(?:that|which) (?:says|reads|has the words?|looks like(?: an?)?|is shaped like(?: an?)?)|saying|"
        r"reading|with the words?|shaped like(?: an?)?)\b"
    ),
    # The words that start a thing's context: "cleaning stuff | for the kitchen".
    context=re.compile(r"\b(?:for|in|on|at|to|from)\b"),
    # Where the shopper places the thing, up to the next context word: "cream | in the ice cream aisle", "rice
    # from the chips aisle".
    place=re.compile(r"\b(?P<preposition>in|from)\s+(?P<words>.+?)(?=\s*(?:\b(?:for|in|on|at|to|from)\b|$))"),
    shop_place=re.compile(rf"\b{_SHOP_PLACE}\b"),
    # Phrases that name no product: a pointer back at what was shown ("any others in that style?", "in that vein")
    # and praise for it ("went down a treat", "went down a storm": no pet treats, no weather).
    no_product=re.compile(
        r"\b(?:in|of) (?:that|this|the same|a similar) (?:style|vein|line|mould|mold|spirit)\b|\b(?:went|go|goes|gone|"
        r"going) down (?:a treat|a storm|well|brilliantly)\b|"
        # Praise for a shown item ("the fifth one is lovely", "looks good": no LOVELY BONBON, no Good Housekeeping),
        # the conversation's own verbs ("keep it under £4": no KEEP OUT sign; "go back to the well known ones"), and a
        # hedge ("a bit meh").
        r"(?:\b(?:is|was|are|were|looks?|looked|looking|seems?|sounds?)|'s) (?:so |really |very |quite |pretty "
        r"|just |about )?(?:lovely|good|nice|great|perfect|ace|cute|sweet|gorgeous|beautiful|brilliant|fab|fabulous|"
        r"amazing|spot on|right|fun|interesting)\b|\b(?:right )?up (?:her|his|my|their|your|our) (?:street|alley)\b|"
        r"\balong (?:those|these|the same|similar) lines\b|\b(?:that|this) lot\b|"
        # Complaints about what was shown ("a bit steep", "too weird", "all a bit samey"), which name nothing wanted.
        r"\b(?:a bit|bit|too|so|rather|quite|a little) (?:steep|weird|samey|boring|plain|pricey|dear|much|odd|meh)\b|"
        r"\bkeep (?:it|them|that)\b|\bgo back to\b|\bstick (?:to|with)\b|\b(?:a )?(?:little )?bit\b|"
        # A shopper's own habits, which their history and list answer ("my usual": no Usual Suspects ales).
        r"\b(?:my|me) usual\b|\bwhat (?:i|we) (?:usually|normally|always|generally|tend to) (?:buy|get|read|order|"
        r"have|like|choose|pick)\b"
    ),
    # A change of what is wanted: this turn's words replace the earlier free text ("on second thoughts make it
    # popcorn", "switch to hot chocolate"; "instead", chat filler, too).
    switch=re.compile(r"\bon second thoughts?\b|\bmake it\b|\bswitch(?:ing)? to\b"),
    # When, which names no product ("he's 70 next week": no THE WEEK magazine; "after 30 years": no 1-Year
    # Subscription), and a present's size said as a hedge ("a little something", "something small").
    when=re.compile(
        r"\b(?:next|this|last|every|each|per|a|the coming) (?:week|weekend|month|fortnight|year|term)s?\b|\b(?:on|this|"
        r"next|by|till|until|every|last) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend)s?\b|"
        r"\b(?:tonight|tomorrow|today)\b|\b(?:(?:after|for|in|over) )?(?:\d+|many|a few|few|some|ten|twenty|thirty|"
        r"forty|fifty|sixty)(?: odd)? years?\b(?! old)|\b(?:this|next|last|in|by) (?:january|february|march|april|may|"
        r"june|july|august|september|october|november|december)\b|\b(?:a (?:little|small) something|something (?:small|"
        r"little))\b|\bend of (?:the )?(?:term|school year|year)\b|\b(?:for the |my |our |the )?first time\b"
    ),
    # What a thing is free of: "dairy-free", "nut free" (not "free from", an exclusion's trigger).
    free_of=re.compile(r"\b[a-z]+[- ]free\b"),
    # A flavour named by what it tastes of: "salt and vinegar", "sour cream & onion", "chocolate flavour" (crisps, an
    # ice cream: not vinegars, cream or the candy aisle).
    flavour=re.compile(
        r"\b(?:salt (?:and|&|n) vinegar|(?:sour cream|cheese) (?:and|&|n) onion|sweet (?:and|&|n) salty|"
        r"cookies (?:and|&|n) cream|[a-z]+ flavou?r(?:ed|s)?)\b"
    ),  # fmt: skip
    # A relative by marriage, who names no category ("my sister-in-law" is no Law magazine).
    in_law=re.compile(r"\b[a-z]+[- ]in[- ]laws?\b"),
    # An item named after a comparison ("like the regency cakestand") or a question about stock ("do you still sell
    # the zinc police box lantern"; "ask").
    named_item=re.compile(
        r"(?P<trigger>\b(?:(?:more|something|anything|things?|ones?|items?|stuff|others?|some)\s+)?(?:similar to|"
        r"(?:the )?same (?:sort|kind|type|style) of (?:thing|stuff|items?) as|same as|along the lines of|in the "
        r"style of|resembling|like)\s+|\b(?P<ask>(?:do|does) (?:you|u) (?:still |even )?(?:sell|have|stock|carry|do)|"
        r"have (?:you|u) (?:still )?got|(?:you|u) (?:still )?(?:sell|stock)|can i (?:still )?(?:get|buy|order))\s+)"
        r"(?P<determiner>(?:the|that|this|your|those|these|my)\s+)?(?P<phrase>[^|,.;!?]+)"
    ),
    # (bound, pattern) in the order they are read: ranges, then upper bounds (before "more than" can take "no
    # more than"), then lower bounds; amounts with a currency or unit and no bound come last and set nothing.
    prices=[
        # "between 3 and 6", "between three and six quid"
        ("range", re.compile(rf"\bbetween\s+(?P<low>{_AMOUNT}|{_WORD_NUMBER})\s?(?:and|-|to)\s?(?P<high>{_AMOUNT})")),
        ("range", re.compile(rf"\bfrom\s+(?P<low>{_AMOUNT})\s?(?:-|to)\s?(?P<high>{_AMOUNT})")),
        ("range", re.compile(rf"(?P<low>{_MARKED_AMOUNT})\s?(?:-|to)\s?(?P<high>{_AMOUNT})")),
        ("range", re.compile(rf"(?<![\w.])(?P<low>{_NUMBER})\s?(?:-|to)\s?(?P<high>{_MARKED_AMOUNT})")),
        (
            "min",
            re.compile(rf"(?<![\w-]){_NOTHING} (?:under|below|beneath|less than|cheaper than)\s?(?P<amount>{_AMOUNT})"),
        ),
        ("max", re.compile(rf"(?<![\w-]){_UPPER}:?\s?(?:about |around |roughly )?(?P<amount>{_AMOUNT})")),
        (
            "max",
            re.compile(
                rf"(?P<amount>{_AMOUNT})\s?(?:or (?:less|under|lower|below|cheaper)|max(?:imum)?\b|tops\b|at (?:the )?"
                rf"most|and (?:under|below|less)\b|budget\b|limit\b|cap\b)"
            ),
        ),  # fmt: skip
        ("min", re.compile(rf"(?<![\w-]){_LOWER}:?\s?(?P<amount>{_AMOUNT})")),
        (
            "min",
            re.compile(
                rf"(?P<amount>{_AMOUNT})\s?(?:or (?:more|above|over|higher|upwards)|plus\b|\+|and (?:up|above|over|"
                rf"upwards)\b|minimum\b|min\b|at least)"
            ),
        ),  # fmt: skip
        ("none", re.compile(rf"(?<![\w.])(?:around |about |roughly |approximately |approx )?{_MARKED_AMOUNT}")),
    ],
    # The shopper drops their price bounds: "I don't mind what it costs", "price doesn't matter", "any price".
    any_price=_words(
        r"(?:(?:i )?(?:don't|do not) (?:mind|care)(?: about)? (?:what (?:it|they) costs?|(?:the |a )?(?:price|cost)s?|"
        r"how much (?:it|they) costs?|how much)|(?:the )?(?:price|cost|budget|money)s? (?:doesn't|does not|don't|do "
        r"not)(?: really)? matter|(?:don't|do not|no need to) worry about (?:(?:the )?(?:price|cost|budget|money)|"
        r"(?:what|how much) (?:it|they) costs?)|"
        r"not (?:really )?(?:bothered|fussed) (?:about|by|with) (?:the )?(?:price|cost|budget|money)|"
        r"(?:at )?any price|regardless of (?:the )?(?:price|cost)|whatever (?:it|they) costs?|"
        r"(?:the )?(?:price|cost|money|budget)(?:'s| is)?(?: not| isn't| is not)(?: really)? (?:an? )?(?:issue|problem|"
        r"object|concern)|(?:the )?(?:price|cost|money|budget)(?:'s| is)? no (?:object|issue|problem|concern)|"
        r"(?:ignore|scrap|ditch|never mind) (?:the|my|that) (?:[£$€]?\d+(?:\.\d+)? ?(?:quid|pounds?)? )?(?:limit|"
        r"budget|price cap|cap))"
    ),
    cheap_negated=_words(
        r"(?:not|nothing|none|isn't|aren't) (?:too |very |that |so |overly |super |crazy |hugely )?(?:expensive|"
        r"pricey|dear|costly|spendy|extravagant)|won't break the bank|doesn't cost (?:a lot|much)"
    ),
    cheaper=_words(
        rf"{_MORE_OR_LESS}(?:cheaper|less (?:expensive|pricey|costly|dear|spendy)|lower[- ]priced|more affordable|too "
        r"(?:expensive|pricey|dear|much)|over my budget|out of my (?:price range|budget)|costs? less|not (?:quite )?"
        r"(?:so|as) (?:dear|expensive|pricey|costly))" + _PRICE_WORDS_AFTER
    ),
    pricier=_words(
        rf"{_MORE_OR_LESS}(?:pricier|more (?:expensive|pricey|upmarket|premium|luxurious|high[- ]end)|higher[- ]"
        rf"(?:end|priced)|posher|fancier|classier|swankier|more swanky|too cheap){_PRICE_WORDS_AFTER}"
    ),
    cheap=_words(
        r"cheap(?:ish|ly|est)?|cheapo|cheep|budget(?:[- ]friendly)?|inexpensive|affordable|bargains?|low[- ]"
        r"(?:cost|priced?)|economical|on a shoestring|value for money|good value|pocket[- ]money|money(?:'s| is) "
        r"(?:a bit |a little |quite |pretty |really |very |rather )?tight|(?:on )?a tight budget|strapped for cash|"
        r"skint|hard up"
    ),
    expensive=_words(
        r"expensive|premium|luxury|luxurious|high[- ]end|posh|upmarket|up-market|top[- ]end|top of the range|"
        r"pricey|splurge|lavish|deluxe|classy|swanky|upscale|luxe|fanciest|poshest|swankiest|classiest"
    ),
    novelty=_words(rf"(?P<tail>{_TAIL})|(?P<any>{_ANY})"),
    # Asking to see others than the items shown: "show me more", "any more?", "anything else?", "next page please"
    # ("more" only where it ends a clause: "more like the third one" and "more unusual" ask for something else).
    others=_words(
        r"(?:(?:show|give) me |(?:have you )?got |see )?(?:any |some |a few )?more(?: (?:options|ideas|suggestions|of "
        r"(?:these|those|them|the same)))?(?=\s*(?:$|[,.;:!?|]|(?:please|thanks|but|and|then)\b))|(?:what|anything|"
        r"something|whatever) else|(?:any|some|got any|have you got any|show me|see|the) others(?! than)|other "
        r"(?:ones|options|ideas|suggestions)|(?:the )?next(?: (?:page|ones|few|lot|set|batch))?(?=\s*(?:$|[,.;:!?|]|"
        r"(?:please|thanks)\b))"
    ),
    exclude_trigger=_words(
        rf"(?:(?:but|and|or) )?(?:not for|not interested in|not looking for|not into|not (?:a )?(?:big |huge )?fan of|"
        r"(?:don't|dont|do not) (?:want|like|need|fancy|include|show(?: me)?)|(?:doesn't|does not) have|(?:doesn't|"
        r"does not|won't|will not|wouldn't|would not|can't|cannot) (?:like|eat|drink)|nothing "
        r"(?:with|containing|made (?:of|from|with)|that (?:has|contains)|involving|related to|about|featuring|to do "
        r"with|for)|none (?:about|for|with|containing|that (?:has|have|contains?))|"
        rf"not in(?= {_COLOUR}\b)|(?:that |which )?(?:isn't|aren't|wasn't|weren't)|none of|no more|"
        r"without|with no|avoid(?:ing)?|except(?: for)?|excluding|exclude|minus|other than|apart from|anything but|"
        # A bare "not" after a person's "he's" describes the person: "he's not little anymore".
        r"allergic to|hates?|can't stand|leave out|rather than|instead of|nothing|(?<!he's )(?<!she's )(?<!they're )"
        r"(?<!he is )(?<!she is )(?<!they are )not|no|"
        r"(?:ditch|drop|skip|scrap|bin|take out|remove|get rid of|lose) (?:anything|everything|any|stuff)(?= (?:with|"
        r"that|featuring|containing)\b)|"
        # "Free from nuts", but not "gluten free | from the cookies aisle".
        rf"free (?:of|from)(?! the [a-z ]+ {_SHOP_PLACE}\b))"
    ),
)


def amount_value(amount: str, partner: str | None = None) -> float | None:
    """The price an amount phrase states, in the currency's main unit: "£12.50" -> 12.5, "50p" -> 0.5, "a tenner" ->
    10, "twenty pounds" -> 20; None for a number too long to be a float. An amount with no currency or unit takes
    pence from ``partner`` (the other end of a range: "20-50p")."""
    words = amount.strip()
    found = re.search(_NUMBER, words)
    if found:
        value = float(found.group(0).replace(",", ""))
    else:
        value = float(next(number for word, number in _NUMBER_WORDS.items() if re.search(rf"\b{word}\b", words)))
    marked = re.search(rf"{_CURRENCY}|{_UNIT}", words)
    pence_source = words if marked or partner is None else partner
    in_pence = re.search(r"(?:\d|\s)(?:p|pence)\b", pence_source) and not re.search(_CURRENCY, pence_source)
    if not math.isfinite(value):
        return None
    return value / 100 if in_pence else value
