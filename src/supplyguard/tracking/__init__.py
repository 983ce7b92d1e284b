"""Traceability and asset tracking engine: EPCIS 2.0 documents and the CBV event hash, telemetry
filters, geofences and route corridors, alert rules, custody and stock per site.

Pure: takes data, returns data. Services wire it to storage, HTTP and MQTT.
"""

from supplyguard.tracking.alerts import (
    Alert,
    AlertEngine,
    DeviceProfile,
    DeviceState,
    TrackingRules,
    check_silence,
    evaluate_position,
)
from supplyguard.tracking.custody import (
    CustodyRecord,
    ObjectState,
    apply_event,
    current_associations,
    custody_chain,
    geo_uri_position,
    object_states,
)
from supplyguard.tracking.epcis_capture import (
    SLICE_EVENTS,
    ParseAgain,
    SlicedParse,
    detect_syntax,
    parse_epcis_document,
)
from supplyguard.tracking.epcis_hash import event_hash, event_prehash, hash_prehash
from supplyguard.tracking.epcis_json import parse_epcis_json
from supplyguard.tracking.epcis_model import (
    EVENT_TYPES,
    BizTransaction,
    EpcisDocument,
    EpcisEvent,
    PartyRef,
    QuantityElement,
    SensorReading,
)
from supplyguard.tracking.epcis_query import EventQuery, decode_page_token, encode_page_token, event_matches
from supplyguard.tracking.epcis_serialise import EPCIS_CONTEXT, event_to_jsonld, events_to_query_document
from supplyguard.tracking.epcis_validate import EpcisJsonSchema, check_document_semantics
from supplyguard.tracking.epcis_xml import parse_epcis_xml
from supplyguard.tracking.geo import (
    Geofence,
    GeofenceIndex,
    Route,
    circle_geofence,
    distance_to_route_km,
    plan_sea_route,
    polygon_geofence,
    road_route,
)
from supplyguard.tracking.gs1_keys import gs1_check_digit, normalise_gs1_uri
from supplyguard.tracking.inventory import StockLedger, item_class, stock_by_site, stock_mismatches
from supplyguard.tracking.telemetry import (
    FilterConfig,
    Position,
    PositionFilter,
    Rejection,
    filter_position,
    haversine_km,
    position_from_dict,
)

__all__ = [
    "EPCIS_CONTEXT",
    "EVENT_TYPES",
    "SLICE_EVENTS",
    "Alert",
    "AlertEngine",
    "BizTransaction",
    "CustodyRecord",
    "DeviceProfile",
    "DeviceState",
    "EpcisDocument",
    "EpcisEvent",
    "EpcisJsonSchema",
    "EventQuery",
    "FilterConfig",
    "Geofence",
    "GeofenceIndex",
    "ObjectState",
    "ParseAgain",
    "PartyRef",
    "Position",
    "PositionFilter",
    "QuantityElement",
    "Rejection",
    "Route",
    "SensorReading",
    "SlicedParse",
    "StockLedger",
    "TrackingRules",
    "apply_event",
    "check_document_semantics",
    "check_silence",
    "circle_geofence",
    "current_associations",
    "custody_chain",
    "decode_page_token",
    "detect_syntax",
    "distance_to_route_km",
    "encode_page_token",
    "evaluate_position",
    "event_hash",
    "event_matches",
    "event_prehash",
    "event_to_jsonld",
    "events_to_query_document",
    "filter_position",
    "geo_uri_position",
    "gs1_check_digit",
    "hash_prehash",
    "haversine_km",
    "item_class",
    "normalise_gs1_uri",
    "object_states",
    "parse_epcis_document",
    "parse_epcis_json",
    "parse_epcis_xml",
    "plan_sea_route",
    "polygon_geofence",
    "position_from_dict",
    "road_route",
    "stock_by_site",
    "stock_mismatches",
]
