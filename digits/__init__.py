"""Handwriting module: MNIST digits and the handwritten arithmetic calculator."""

DIGITS = "0123456789"
SYMBOLS = "0123456789+-×÷()="
"""The symbol classifier's classes, in output order."""
