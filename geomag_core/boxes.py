"""Axis-aligned boxes in scene pixels.

Frame: XYXY in scene pixels, origin at the top-left corner of the top-left pixel, x to the right,
y down; ``x1``/``y1`` are exclusive, so a box covers columns ``x0..x1-1`` and rows ``y0..y1-1``.
"""

from __future__ import annotations

from dataclasses import dataclass

from geomag_core.errors import InvalidBoxError

__all__ = ["PixelBox"]


@dataclass(frozen=True, slots=True)
class PixelBox:
    """An integer XYXY box in scene pixels (exclusive upper bounds)."""

    x0: int
    y0: int
    x1: int
    y1: int

    def __post_init__(self) -> None:
        if self.x1 <= self.x0 or self.y1 <= self.y0:
            raise InvalidBoxError(
                f"box {self.as_tuple()} is empty: need x0 < x1 and y0 < y1 (XYXY, scene pixels)"
            )

    @classmethod
    def parse(cls, text: str) -> PixelBox:
        """Parse ``"x0,y0,x1,y1"`` (integers, scene pixels)."""
        parts = [p.strip() for p in text.split(",")]
        try:
            values = [int(float(p)) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4:
            raise InvalidBoxError(
                f"cannot parse box {text!r}: write four integers x0,y0,x1,y1 in scene pixels"
            )
        return cls(*values)

    @property
    def width(self) -> int:
        """Width in pixels."""
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        """Height in pixels."""
        return self.y1 - self.y0

    @property
    def area(self) -> int:
        """Number of pixels covered."""
        return self.width * self.height

    def as_tuple(self) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)``."""
        return (self.x0, self.y0, self.x1, self.y1)

    def contains(self, other: PixelBox) -> bool:
        """Whether ``other`` lies entirely inside this box."""
        return (
            self.x0 <= other.x0
            and self.y0 <= other.y0
            and other.x1 <= self.x1
            and other.y1 <= self.y1
        )

    def check_inside(self, width: int, height: int, what: str = "box") -> PixelBox:
        """Return ``self`` if it lies inside a ``width``×``height`` raster, else raise."""
        if self.x0 < 0 or self.y0 < 0 or self.x1 > width or self.y1 > height:
            raise InvalidBoxError(
                f"{what} {self.as_tuple()} falls outside the scene (0, 0, {width}, {height}); "
                "boxes are XYXY in scene pixels"
            )
        return self

    def centered(self, width: int, height: int) -> PixelBox:
        """A ``width``×``height`` box with the same centre, clamped to stay inside ``self``."""
        width, height = min(width, self.width), min(height, self.height)
        x0 = self.x0 + (self.width - width) // 2
        y0 = self.y0 + (self.height - height) // 2
        return PixelBox(x0, y0, x0 + width, y0 + height)

    def padded(self, margin: int, within: PixelBox) -> PixelBox:
        """The box grown by ``margin`` pixels on every side, clipped to ``within``."""
        return PixelBox(
            max(within.x0, self.x0 - margin),
            max(within.y0, self.y0 - margin),
            min(within.x1, self.x1 + margin),
            min(within.y1, self.y1 + margin),
        )
