"""The pain-point tagger: taxonomy, scoring, field extraction, the learned model and text
similarity. Feedback uses it; so can any feature that reads developer text."""
