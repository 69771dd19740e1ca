"""Ink core: containers, geometry, tokens, InkML, rendering, augmentation, drawing.

Imports nothing from the rest of inkrepro (only ``inkrepro.errors``).
"""

from inkrepro.ink.core import Ink, Stroke

__all__ = ["Ink", "Stroke"]
