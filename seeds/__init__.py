"""The data paperkg ships: seed corpus, ontology, vocabularies and the extractor lexicon (read with importlib.resources)."""
