"""/v1/tracking: tracking state, alert rules (geofences, corridors), alerts and their acknowledgement."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/tracking", tags=["alerts"])
