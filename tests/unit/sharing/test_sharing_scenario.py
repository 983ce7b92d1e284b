"""The engine's side of the three-node story: A publishes, B correlates, the carrier gets a redacted alert."""

from __future__ import annotations

import json

import pytest

from supplyguard.errors import SignedObjectInvalid
from supplyguard.sharing import (
    SHIPMENT_EXTENSION_ID,
    Agreement,
    CorrelationIndex,
    IdentifierKind,
    Keyring,
    LocalRecord,
    Outcome,
    SignedObject,
    SigningKey,
    StixSchemaValidator,
    accept_object,
    build_bundle,
    check_ingress,
    disclose,
    preview,
    sign_object,
    verify_object,
)
from tests.unit.sharing.sharing_factories import (
    TODAY,
    seizure_object,
    suspect_party_object,
    suspect_shipment_object,
)


def test_publish_redact_transport_verify_correlate(
    agreement: Agreement, key_a: SigningKey, keyring: Keyring, validator: StixSchemaValidator
) -> None:
    published = [
        sign_object(obj, key_a)
        for obj in (seizure_object(), suspect_party_object(), suspect_shipment_object())
    ]
    outbox: dict[str, list[dict[str, object]]] = {"customs-b": [], "carrier-oceanic": []}
    for signed in published:
        for decision in preview(signed.stix, [agreement], list(outbox), sender="customs-a", on=TODAY):
            if decision.outcome is not Outcome.NOTHING:
                outbox[decision.recipient].append(disclose(signed, decision.kept_fields).to_stix())
    assert len(outbox["customs-b"]) == 3
    assert [obj["type"] for obj in outbox["carrier-oceanic"]] == ["indicator"]

    for recipient, objects in outbox.items():
        wire = json.loads(json.dumps(build_bundle(objects)))  # what crosses the network
        assert validator.problems(wire) == []
        for obj in wire["objects"]:
            received = SignedObject.from_stix(obj)
            verify_object(received, keyring)
            check_ingress(received.stix, agreement, sender="customs-a", recipient=recipient, on=TODAY)

    alert = SignedObject.from_stix(outbox["carrier-oceanic"][0])
    assert "consignee_name" not in alert.stix["extensions"][SHIPMENT_EXTENSION_ID]
    assert alert.withheld_count == 4

    b_declarations = CorrelationIndex()
    b_declarations.add(
        LocalRecord("DECL-B-77", "declaration", identifiers=((IdentifierKind.CONTAINER, "MSKU9070323"),))
    )
    hits = b_declarations.match_objects(SignedObject.from_stix(obj).stix for obj in outbox["customs-b"])
    assert {hit.record_id for hit in hits} == {"DECL-B-77"}


def test_a_forged_object_in_the_stream_is_rejected(key_a: SigningKey, keyring: Keyring) -> None:
    wire = sign_object(suspect_shipment_object(), key_a).to_stix()
    wire["name"] = "Nothing to see here"
    with pytest.raises(SignedObjectInvalid) as caught:
        accept_object(SignedObject.from_stix(wire), keyring)
    assert caught.value.check == "field"
    assert "'name'" in caught.value.detail
