"""The DMP client against the loopback simulator over real mutual TLS.

One simulator for the module, one test PKI for the session; each test starts from an
empty DMP.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket

import pytest

from opendui.interop import testpki
from opendui.interop.dmp import errors, xds
from opendui.interop.dmp.client import DmpClient
from opendui.interop.dmp.config import DmpConfig
from opendui.interop.dmp.document import Visibility
from opendui.interop.dmp.errors import DmpConfigurationError, DmpRefused, DmpUnavailable
from opendui.interop.dmp.simulator import DmpPatientState, SimulatorState, conformance_xsd, serve
from opendui.interop.dmp.vihf import LpsIdentity

from .wire_support import cda_bytes, document, patient, professional

LPS = LpsIdentity("OpenDUI", "0.1.0", "LPS-TEST-1", "HOMOLOGATION-TEST-1")


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return testpki.ensure_test_pki(tmp_path_factory.mktemp("dmp-pki"))


@pytest.fixture(scope="module")
def dmp(pki):
    server, thread, url = serve(pki_dir=pki.directory)
    yield server, url
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def state(dmp) -> SimulatorState:
    simulator_state = dmp[0].simulator.state
    simulator_state.reset()
    yield simulator_state
    simulator_state.reset()


def make_client(url: str, cert, key, ca, **changes) -> DmpClient:
    config = DmpConfig(
        endpoint=url,
        cert_file=str(cert),
        key_file=str(key),
        ca_file=str(ca),
        lps=LPS,
        connect_timeout=2,
        read_timeout=5,
    )
    return DmpClient(dataclasses.replace(config, **changes))


@pytest.fixture
def client(dmp, pki, state) -> DmpClient:
    return make_client(dmp[1], pki.client_cert, pki.client_key, pki.ca_cert)


def test_status_authorise_publish_find_and_retrieve_identical_content(client, state):
    person, nurse = patient(), professional()
    status = client.patient_status(nurse, person)
    assert (status.exists, status.authorised, status.closed) == (True, False, False)

    client.authorise(nurse, person)
    assert client.patient_status(nurse, person).authorised is True

    doc = document(person)
    cda = cda_bytes(doc)
    receipt = client.publish(nurse, person, doc, cda)
    assert receipt.entry_uuid.startswith("urn:uuid:")
    assert receipt.submission_set_unique_id.startswith("2.25.")

    entries = client.find_documents(nurse, person)
    assert len(entries) == 1  # the signature entry is not a document to show
    entry = entries[0]
    assert entry.entry_uuid == receipt.entry_uuid
    assert entry.unique_id == doc.unique_id
    assert entry.title == "Synthèse du projet personnalisé"
    assert (entry.type.code, entry.class_code.code) == ("SYNTH", "11")
    assert entry.author_name == "Claire MARTIN"
    assert entry.organisation_name == "EHPAD Les Tilleuls"
    assert entry.mime_type == "text/xml"
    assert entry.status == xds.APPROVED
    assert entry.creation_time == dt.datetime(2026, 5, 4, 10, 30, tzinfo=dt.UTC)
    assert entry.confidentiality == "N"
    assert entry.visibility == Visibility()
    assert entry.size == len(cda)

    retrieved = client.retrieve(nurse, person, entry)
    assert retrieved.mime_type == "text/xml"
    assert retrieved.content == cda

    assert client.get_document(nurse, person, doc.unique_id).entry_uuid == entry.entry_uuid


def test_the_simulator_receives_an_mtom_request_with_the_cda_and_the_signature(client, state):
    person, nurse = patient(), professional()
    doc = document(person)
    cda = cda_bytes(doc)
    client.publish(nurse, person, doc, cda)
    received = state.received[-1]
    assert received["action"] == "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
    assert received["media_type"] == "multipart/related"
    types = [content_type.split(";")[0] for content_type, _ in received["parts"]]
    assert types == ["application/xop+xml", "application/octet-stream", "application/octet-stream"]
    assert received["parts"][1][1] == len(cda)
    stored = [e for e in state.entries.values() if e["unique_id"] != doc.unique_id]
    assert len(stored) == 1 and "Digital Signature" in stored[0]["metadata"]


def test_a_new_version_replaces_the_previous_one(client, state):
    person, nurse = patient(), professional()
    client.authorise(nurse, person)
    first = document(person)
    receipt = client.publish(nurse, person, first, cda_bytes(first))
    second = document(person, set_id=first.set_id, version=2, title="Synthèse v2")
    client.publish(nurse, person, second, cda_bytes(second), replaces=receipt.entry_uuid)

    current = client.find_documents(nurse, person)
    assert [e.unique_id for e in current] == [second.unique_id]
    every = client.find_documents(nurse, person, statuses=(xds.APPROVED, xds.DEPRECATED))
    assert {e.unique_id: e.status for e in every} == {
        first.unique_id: xds.DEPRECATED,
        second.unique_id: xds.APPROVED,
    }
    # Replacing an entry that is no longer current is refused.
    third = document(person, set_id=first.set_id, version=3)
    with pytest.raises(DmpRefused) as refused:
        client.publish(nurse, person, third, cda_bytes(third), replaces=receipt.entry_uuid)
    assert refused.value.code == "XDSRegistryMetadataError"


def test_visibility_update_hides_the_document_from_other_structures(client, state):
    person, nurse = patient(), professional()
    elsewhere = professional(idnat="810009999999", finess="690000013")
    client.authorise(nurse, person)
    client.authorise(elsewhere, person)
    doc = document(person)
    client.publish(nurse, person, doc, cda_bytes(doc))
    entry = client.find_documents(nurse, person)[0]

    hidden = Visibility(hidden_from_professionals=True, invisible_to_patient=True)
    client.update_visibility(nurse, person, entry, hidden)

    updated = client.find_documents(nurse, person)
    assert len(updated) == 1
    assert updated[0].visibility == hidden
    assert updated[0].unique_id == doc.unique_id
    assert updated[0].version == 2
    assert updated[0].logical_id == entry.logical_id
    assert client.find_documents(elsewhere, person) == []
    # The other structure may not change a document it did not publish.
    with pytest.raises(DmpRefused) as refused:
        client.update_visibility(elsewhere, person, updated[0], Visibility())
    assert refused.value.code == errors.ACCESS_REFUSED
    # An update from stale metadata (version 1) is refused.
    with pytest.raises(DmpRefused) as stale:
        client.update_visibility(nurse, person, entry, Visibility())
    assert stale.value.code == "XDSMetadataVersionError"


def test_delete_removes_the_document_from_searches_and_retrieval(client, state):
    person, nurse = patient(), professional()
    client.authorise(nurse, person)
    doc = document(person)
    client.publish(nurse, person, doc, cda_bytes(doc))
    entry = client.find_documents(nurse, person)[0]
    client.delete(nurse, person, entry)
    assert client.find_documents(nurse, person) == []
    assert client.get_document(nurse, person, doc.unique_id) is None
    with pytest.raises(DmpRefused) as gone:
        client.retrieve(nurse, person, entry)
    assert gone.value.code == "XDSDocumentUniqueIdError"


def test_archive_keeps_the_document_readable_on_request(client, state):
    person, nurse = patient(), professional()
    client.authorise(nurse, person)
    doc = document(person)
    client.publish(nurse, person, doc, cda_bytes(doc))
    client.archive(nurse, person, client.find_documents(nurse, person)[0])
    assert client.find_documents(nurse, person) == []
    archived = client.find_documents(nurse, person, statuses=(xds.ARCHIVED,))
    assert [e.status for e in archived] == [xds.ARCHIVED]


@pytest.mark.parametrize(
    ("patient_state", "code"),
    [
        (DmpPatientState.NO_DMP, errors.NO_DMP),
        (DmpPatientState.OPPOSED, errors.OPPOSED),
        (DmpPatientState.ACCESS_REFUSED, errors.ACCESS_REFUSED),
        (DmpPatientState.CLOSED, errors.CLOSED),
    ],
)
def test_every_national_refusal_becomes_its_french_error(client, state, patient_state, code):
    person, nurse = patient(), professional()
    state.set_patient(person.ins, patient_state)
    doc = document(person)
    for call in (
        lambda: client.publish(nurse, person, doc, cda_bytes(doc)),
        lambda: client.find_documents(nurse, person),
        lambda: client.authorise(nurse, person),
    ):
        with pytest.raises(DmpRefused) as refused:
            call()
        assert refused.value.code == code
        assert refused.value.retryable is False
        assert refused.value.message_fr == errors.FAULT_MESSAGES[code][0]
    status = client.patient_status(nurse, person)
    assert status.exists is (patient_state is not DmpPatientState.NO_DMP)
    assert status.closed is (patient_state is DmpPatientState.CLOSED)
    assert status.opposed is (patient_state is DmpPatientState.OPPOSED)
    assert status.forbidden is (patient_state is DmpPatientState.ACCESS_REFUSED)
    assert status.authorised is False


def test_the_demo_rule_gives_a_closed_dmp_to_order_number_993(client, state):
    person = patient(ins="248039263099351")
    assert client.patient_status(professional(), person).closed is True


def test_reading_without_the_persons_authorisation_is_refused(client, state):
    person, nurse = patient(), professional()
    with pytest.raises(DmpRefused) as refused:
        client.find_documents(nurse, person)
    assert refused.value.code == errors.NOT_AUTHORISED


def test_service_unavailable_is_retryable(client, state):
    state.unavailable = True
    with pytest.raises(DmpUnavailable) as unavailable:
        client.patient_status(professional(), patient())
    assert unavailable.value.code == errors.SERVICE_UNAVAILABLE
    assert unavailable.value.retryable is True


def test_a_slow_dmp_times_out_as_unavailable(dmp, pki, state):
    slow = make_client(dmp[1], pki.client_cert, pki.client_key, pki.ca_cert, read_timeout=0.3)
    state.delay = 1.0
    with pytest.raises(DmpUnavailable) as unavailable:
        slow.patient_status(professional(), patient())
    assert unavailable.value.code == errors.TIMEOUT
    assert unavailable.value.retryable is True


def test_an_unreachable_dmp_is_unavailable(pki):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = make_client(
        f"https://127.0.0.1:{port}/si-dmp-server/v2/services",
        pki.client_cert,
        pki.client_key,
        pki.ca_cert,
    )
    with pytest.raises(DmpUnavailable) as unavailable:
        closed.patient_status(professional(), patient())
    assert unavailable.value.code == errors.UNAVAILABLE


def test_the_same_version_sent_twice_is_refused(client, state):
    person, nurse = patient(), professional()
    doc = document(person)
    client.publish(nurse, person, doc, cda_bytes(doc))
    with pytest.raises(DmpRefused) as refused:
        client.publish(nurse, person, doc, cda_bytes(doc))
    assert refused.value.code == "XDSDuplicateUniqueIdInRegistry"
    assert "déjà été déposée" in refused.value.message_fr


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"ins": "279035121518989"}, "recordTarget"),
        ({"doc_id": "1.2.3.4.5"}, "uniqueId"),
    ],
)
def test_a_cda_that_does_not_match_its_metadata_is_refused(client, state, changes, reason):
    person, nurse = patient(), professional()
    doc = document(person)
    with pytest.raises(DmpRefused) as refused:
        client.publish(nurse, person, doc, cda_bytes(doc, **changes))
    assert refused.value.code == errors.CDA_INVALID
    assert reason in refused.value.message_fr


def test_a_document_for_another_person_is_refused(client, state):
    person, nurse = patient(), professional()
    other = patient(ins="160012B02077713")
    doc = document(other)
    with pytest.raises(DmpRefused) as refused:
        client.publish(nurse, person, doc, cda_bytes(doc))
    assert refused.value.code == "XDSPatientIdDoesNotMatch"


def test_the_cda_is_checked_against_the_ans_schema(client, state):
    if conformance_xsd() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("kit ANS TestContenuCDA absent (OPENDUI_CONFORMANCE_DIR)")
        pytest.skip("kit ANS TestContenuCDA absent sur ce poste")
    person, nurse = patient(), professional()
    doc = document(person)
    good = cda_bytes(doc)
    client.publish(nurse, person, doc, good)
    other = document(person)
    broken = cda_bytes(other).replace(b"<title>", b"<titre>x</titre><title>")
    with pytest.raises(DmpRefused) as refused:
        client.publish(nurse, person, other, broken)
    assert refused.value.code == errors.CDA_INVALID
    assert "schéma CDA" in refused.value.message_fr


def _other_client_cert(pki, tmp_path, **validity):
    ca_cert, ca_key = testpki.load_ca(pki)
    cert, key = testpki.issue(
        ca_cert, ca_key, testpki.establishment_name("EHPAD AUTRE", "690000013"), **validity
    )
    return testpki.write_pair(tmp_path, "other", cert, key)


def test_an_expired_establishment_certificate_is_refused_at_tls(dmp, pki, state, tmp_path):
    now = dt.datetime.now(dt.UTC)
    cert, key = _other_client_cert(
        pki, tmp_path, not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=1)
    )
    expired = make_client(dmp[1], cert, key, pki.ca_cert)
    with pytest.raises(DmpConfigurationError) as refused:
        expired.patient_status(professional(), patient())
    assert refused.value.code == errors.TLS
    assert refused.value.retryable is False


def test_a_certificate_of_an_unknown_authority_is_refused_at_tls(dmp, pki, state, tmp_path):
    ca_cert, ca_key = testpki.make_ca("AUTORITE INCONNUE")
    cert, key = testpki.issue(ca_cert, ca_key, testpki.establishment_name("EHPAD X", "690000013"))
    cert_path, key_path = testpki.write_pair(tmp_path, "unknown", cert, key)
    stranger = make_client(dmp[1], cert_path, key_path, pki.ca_cert)
    with pytest.raises(DmpConfigurationError) as refused:
        stranger.patient_status(professional(), patient())
    assert refused.value.code == errors.TLS


def test_a_dmp_whose_server_certificate_is_not_trusted_is_refused(dmp, pki, state, tmp_path):
    ca_cert, ca_key = testpki.make_ca("AUTRE AC")
    ca_path, _ = testpki.write_pair(tmp_path, "other-ca", ca_cert, ca_key)
    wary = make_client(dmp[1], pki.client_cert, pki.client_key, ca_path)
    with pytest.raises(DmpConfigurationError) as refused:
        wary.patient_status(professional(), patient())
    assert refused.value.code == errors.TLS


def test_a_professional_without_national_identifier_cannot_call(client, state):
    with pytest.raises(DmpConfigurationError) as refused:
        client.patient_status(professional(idnat=""), patient())
    assert "identifiant national" in refused.value.message_fr


def test_the_simulator_keeps_its_dmp_in_a_directory(pki, tmp_path):
    store = tmp_path / "dmp"
    server, _thread, url = serve(pki_dir=pki.directory, store=store)
    try:
        client = make_client(url, pki.client_cert, pki.client_key, pki.ca_cert)
        person, nurse = patient(), professional()
        client.authorise(nurse, person)
        doc = document(person)
        cda = cda_bytes(doc)
        client.publish(nurse, person, doc, cda)
    finally:
        server.shutdown()
        server.server_close()
    server, _thread, url = serve(pki_dir=pki.directory, store=store)
    try:
        client = make_client(url, pki.client_cert, pki.client_key, pki.ca_cert)
        entries = client.find_documents(nurse, person)
        assert [e.unique_id for e in entries] == [doc.unique_id]
        assert client.retrieve(nurse, person, entries[0]).content == cda
    finally:
        server.shutdown()
        server.server_close()


def test_a_cda_from_the_generator_is_accepted_and_read_back(client, state):
    from opendui.interop.dmp.cda import build_cda

    from . import samples

    doc = samples.document()
    nurse = professional(finess=doc.organisation.finess)
    cda = build_cda(doc)
    client.authorise(nurse, doc.patient)
    client.publish(nurse, doc.patient, doc, cda)
    entry = client.find_documents(nurse, doc.patient)[0]
    assert entry.title == doc.title
    assert client.retrieve(nurse, doc.patient, entry).content == cda
