"""Analyzers: whole-text classifiers (language, toxicity, ...) returning labels and scores."""
