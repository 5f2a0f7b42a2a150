"""The newsletter: an edition rendered once, then delivered to every confirmed subscriber."""

from __future__ import annotations
