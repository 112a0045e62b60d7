"""Embedding and search components: encoders, passages, the dense (FAISS) and keyword (BM25) indexes, hybrid ranking.

Framework-free: configuration comes in as arguments; nothing is read from the environment and nothing runs at import.
"""
