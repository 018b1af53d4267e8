"""The lower-line generator: character tokenizer, BART-style seq2seq model, constrained decoding."""
