"""longtail core: framework-free building blocks (formats, cleaning rules, warehouse helpers)."""
