"""Shopper words for the query parser's category matching (``longtail.serving.vocabulary``): the words shoppers use
where the shops' category labels use others. Data only.
"""

# Shopper words (singular) -> label words they stand for, where the shops' labels use other words. Each entry
# is checked against the shop's own labels, so a word for another shop's labels is harmless.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "crisp": ("chip",), "sweet": ("candy",), "sweetie": ("candy",), "biscuit": ("cookie",), "nappy": ("diaper",),
    "pop": ("soft", "drink"), "fizzy": ("soft", "drink"), "soda": ("soft", "drink"), "cola": ("soft", "drink"),
    "lemonade": ("soft", "drink"), "drink": ("beverage",), "veg": ("vegetable",), "veggie": ("vegetable",),
    "booze": ("alcohol",), "liquor": ("spirit",), "vodka": ("spirit",), "gin": ("spirit",), "whisky": ("spirit",),
    "whiskey": ("spirit",), "rum": ("spirit",), "lager": ("beer",), "ale": ("beer",), "prosecco": ("champagne",),
    "shampoo": ("hair",), "conditioner": ("hair",), "toothpaste": ("oral",), "toothbrush": ("oral",),
    "mouthwash": ("oral",), "painkiller": ("pain",), "paracetamol": ("pain",), "ibuprofen": ("pain",),
    "moisturiser": ("lotion",), "moisturizer": ("lotion",), "plaster": ("aid",), "makeup": ("beauty",),
    "razor": ("shave",), "yoghurt": ("yogurt",), "lolly": ("ice",), "chicken": ("poultry",), "fish": ("seafood",),
    "prawn": ("seafood",), "porridge": ("hot", "cereal"), "muesli": ("granola",), "kitten": ("cat",),
    "puppy": ("dog",), "detergent": ("laundry",), "cook": ("cooking",), "cookery": ("cooking",),
    "car": ("automotive",), "motorbike": ("motorcycle",), "bike": ("cycling",), "bicycle": ("cycling",),
    "tv": ("television",), "telly": ("television",), "film": ("movie",), "cinema": ("movie",), "game": ("game",),
    "gaming": ("video", "game"), "diy": ("home", "improvement"), "kid": ("child",), "teenager": ("teen",),
    "gun": ("firearm",), "photo": ("photography",), "camera": ("photography",), "tech": ("technology",),
    "gadget": ("electronics",), "invest": ("investing",), "money": ("finance",), "crossword": ("puzzle",),
    "sudoku": ("puzzle",), "bride": ("bridal",), "boat": ("boating",), "sailing": ("boating",),
    "horse": ("equestrian",), "ski": ("skiing",), "snowboard": ("snowboarding",), "aviation": ("flying",),
    "jogging": ("running",), "climbing": ("mountaineering",), "camping": ("camping",), "knit": ("knitting",),
    "sewing": ("needlecraft",), "embroidery": ("needlecraft",), "woodwork": ("woodworking",),
    "guitar": ("music",), "christian": ("christianity",), "yoga": ("fitness",), "gym": ("fitness",),
    "workout": ("fitness",), "comedy": ("humor",), "humour": ("humor",), "funny": ("humor",),
    "celeb": ("celebrity",), "politics": ("political",), "mag": ("magazine",),
    "scifi": ("sci", "fi", "science", "fiction"), "choccy": ("chocolate",), "choc": ("chocolate",),
    "kibble": ("pet", "food"), "teabag": ("tea",), "sprinkle": ("baking", "decor"), "hummus": ("dip", "tapenade"),
    "railway": ("train",), "gamer": ("video", "game"), "tinned": ("canned",), "lozenge": ("cold", "flu"),
    **{veg: ("fresh", "vegetable") for veg in ("courgette", "aubergine", "swede", "mangetout", "beetroot")},
    **{herb: ("fresh", "herb") for herb in ("basil", "coriander", "cilantro", "parsley", "dill", "thyme", "rosemary")},
    "narrowboat": ("boating",), "yacht": ("boating",), "yachting": ("boating",), "pickup": ("truck",),
    "decor": ("decoration",),
    # A diet names the diet shelves over the recipes around it ("vegan recipe magazine" is Special Diet).
    **{diet: (diet, "special", "diet") for diet in ("vegan", "vegetarian", "diabetic", "keto", "paleo")},
}  # fmt: skip
# Two-word shopper phrases, read as one unit so that their words do not also match alone ("loo roll" is not bread).
PHRASE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "loo roll": ("paper",), "toilet roll": ("paper",), "toilet paper": ("paper",), "kitchen roll": ("paper",),
    "bin bag": ("trash",), "bin liner": ("trash",), "washing up": ("dish",), "hand cream": ("lotion",),
    "body cream": ("lotion",), "face cream": ("facial",), "ice lolly": ("ice",), "fizzy water": ("sparkling",),
    "mineral water": ("water",), "make up": ("beauty",), "cross stitch": ("needlecraft",),
    "video game": ("video", "game"), "sci fi": ("sci", "fi", "science", "fiction"), "dish soap": ("dish", "detergent"),
    "hot chocolate": ("cocoa",), "drinking chocolate": ("cocoa",), "food colouring": ("baking", "decor"),
    "food coloring": ("baking", "decor"), "washing powder": ("laundry",), "hay fever": ("allergy",),
    "big rig": ("truck",), "washing liquid": ("laundry",),
    "easter egg": ("candy", "chocolate"), "cough sweet": ("cold", "flu"), "cough drop": ("cold", "flu"),
    **{f"{plant} milk": ("soy", "lactosefree") for plant in ("almond", "oat", "soy", "soya", "rice", "cashew")},
}  # fmt: skip
