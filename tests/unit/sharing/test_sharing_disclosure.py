from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from supplyguard.errors import AgreementViolation
from supplyguard.sharing import (
    SHIPMENT_EXTENSION_ID,
    Agreement,
    Forwarding,
    OnwardTransfer,
    Outcome,
    StixSchemaValidator,
    Tlp,
    check_ingress,
    compile_share,
    preview,
)
from tests.unit.sharing.sharing_factories import (
    TODAY,
    seizure_object,
    suspect_party_object,
    suspect_shipment_object,
)

PARTNERS = ["customs-b", "carrier-oceanic", "port-x"]


def test_preview_says_exactly_who_receives_what(agreement: Agreement) -> None:
    shipment = suspect_shipment_object()
    decisions = {
        d.recipient: d for d in preview(shipment, [agreement], PARTNERS, sender="customs-a", on=TODAY)
    }
    assert decisions["customs-b"].outcome is Outcome.WHOLE
    assert decisions["customs-b"].stix == shipment
    carrier = decisions["carrier-oceanic"]
    assert carrier.outcome is Outcome.REDACTED
    assert set(carrier.removed_fields) == {
        "shipment.consignee_name",
        "shipment.consignor_name",
        "shipment.declaration_reference",
        "shipment.consignee_eori",
    }
    assert carrier.stix is not None
    sent = carrier.stix["extensions"][SHIPMENT_EXTENSION_ID]
    assert "consignee_name" not in sent
    assert sent["container_numbers"] == ["MSKU9070323"]
    assert carrier.retention_until == date(2027, 2, 21)
    assert carrier.purposes == ("risk-targeting",)
    assert any("personal data" in reason for reason in carrier.reasons)
    assert decisions["port-x"].outcome is Outcome.NOTHING
    assert "no sharing agreement" in decisions["port-x"].reasons[0]


def test_redacted_object_still_validates(agreement: Agreement, validator: StixSchemaValidator) -> None:
    decision = compile_share(
        suspect_shipment_object(), agreement, "carrier-oceanic", sender="customs-a", on=TODAY
    )
    assert decision.stix is not None
    assert validator.problems(decision.stix) == []


def test_types_outside_the_agreement_give_nothing(agreement: Agreement) -> None:
    for obj in (seizure_object(), suspect_party_object()):
        decision = compile_share(obj, agreement, "carrier-oceanic", sender="customs-a", on=TODAY)
        assert decision.outcome is Outcome.NOTHING
        assert "does not cover" in decision.reasons[0]
        assert decision.stix is None


def test_tlp_above_the_recipient_maximum_gives_nothing(agreement: Agreement) -> None:
    decision = compile_share(
        suspect_shipment_object(Tlp.AMBER_STRICT), agreement, "carrier-oceanic", sender="customs-a", on=TODAY
    )
    assert decision.outcome is Outcome.NOTHING
    assert "TLP:AMBER+STRICT" in decision.reasons[0]
    red = compile_share(seizure_object(Tlp.RED), agreement, "customs-b", sender="customs-a", on=TODAY)
    assert red.outcome is Outcome.NOTHING


def test_expired_agreement_and_non_party_sender_give_nothing(agreement: Agreement) -> None:
    shipment = suspect_shipment_object()
    late = compile_share(shipment, agreement, "customs-b", sender="customs-a", on=date(2029, 1, 1))
    assert late.outcome is Outcome.NOTHING
    assert "not in force" in late.reasons[0]
    stranger = compile_share(shipment, agreement, "customs-b", sender="customs-z", on=TODAY)
    assert "not a party" in stranger.reasons[0]


def test_required_field_withheld_means_nothing(agreement: Agreement) -> None:
    carrier = agreement.recipients["carrier-oceanic"]
    stricter = replace(
        agreement,
        recipients={
            **agreement.recipients,
            "carrier-oceanic": replace(
                carrier, objects={"indicator": replace(carrier.objects["indicator"], exclude=("pattern",))}
            ),
        },
    )
    decision = compile_share(
        suspect_shipment_object(), stricter, "carrier-oceanic", sender="customs-a", on=TODAY
    )
    assert decision.outcome is Outcome.NOTHING
    assert "cannot be sent without pattern" in decision.reasons[-1]


def test_onward_transfer_rules(agreement: Agreement) -> None:
    shipment = suspect_shipment_object()
    within = Forwarding(author_node="customs-a", received_under=agreement)
    forwarded = compile_share(
        shipment, agreement, "carrier-oceanic", sender="customs-b", on=TODAY, forwarding=within
    )
    assert forwarded.outcome is Outcome.REDACTED
    closed = Forwarding("customs-a", replace(agreement, onward_transfer=OnwardTransfer.NONE))
    refused = compile_share(
        shipment, agreement, "carrier-oceanic", sender="customs-b", on=TODAY, forwarding=closed
    )
    assert refused.outcome is Outcome.NOTHING
    assert "forbids onward transfer" in refused.reasons[0]
    strict = compile_share(
        suspect_shipment_object(Tlp.AMBER_STRICT),
        agreement,
        "customs-a",
        sender="customs-b",
        on=TODAY,
        forwarding=within,
    )
    assert strict.outcome is Outcome.NOTHING
    consent = Forwarding("customs-a", replace(agreement, onward_transfer=OnwardTransfer.WITH_AUTHOR_CONSENT))
    no_consent = compile_share(
        shipment, agreement, "carrier-oceanic", sender="customs-b", on=TODAY, forwarding=consent
    )
    assert "consent" in no_consent.reasons[0]
    with_consent = compile_share(
        shipment,
        agreement,
        "carrier-oceanic",
        sender="customs-b",
        on=TODAY,
        forwarding=replace(consent, author_consent=True),
    )
    assert with_consent.outcome is Outcome.REDACTED


def test_ingress_accepts_what_the_agreement_allows(agreement: Agreement) -> None:
    sent = compile_share(
        suspect_shipment_object(), agreement, "carrier-oceanic", sender="customs-a", on=TODAY
    )
    assert sent.stix is not None
    accepted = check_ingress(sent.stix, agreement, sender="customs-a", recipient="carrier-oceanic", on=TODAY)
    assert accepted.retention_until == date(2027, 2, 21)


def test_ingress_refuses_fields_beyond_the_agreement(agreement: Agreement) -> None:
    with pytest.raises(AgreementViolation) as caught:
        check_ingress(
            suspect_shipment_object(), agreement, sender="customs-a", recipient="carrier-oceanic", on=TODAY
        )
    assert any("shipment.consignee_name" in reason for reason in caught.value.reasons)
    with pytest.raises(AgreementViolation, match="does not cover"):
        check_ingress(seizure_object(), agreement, sender="customs-a", recipient="carrier-oceanic", on=TODAY)


def test_ingress_refuses_forwarded_amber_strict(agreement: Agreement) -> None:
    with pytest.raises(AgreementViolation, match="may not be passed on"):
        check_ingress(
            seizure_object(Tlp.AMBER_STRICT),
            agreement,
            sender="customs-b",
            recipient="customs-a",
            on=TODAY,
            author_node="carrier-oceanic",
        )
