"""The news path: read articles (normalise, tag, score relevance, extract facts), group stories."""
