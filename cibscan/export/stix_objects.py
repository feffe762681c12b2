"""The STIX 2.1 building blocks every bundle cibscan writes shares: ids, the producer, the
extension-definition of cibscan's own properties, TLP 2.0 markings, accounts and their
patterns, and the DISARM attack-patterns.

Both the findings bundle (:mod:`cibscan.export.stix`) and a library network's bundle
(:mod:`cibscan.match.stix`) are made of these, so that they validate the same way (zero
stix2-validator errors and warnings) and a hunter reads them the same way
(:mod:`cibscan.match.indicators`).

**Ids.** SDO, SRO and bundle ids are deterministic, so that the same case gives the same
file and a threat-intelligence platform merges a re-import instead of duplicating it: the
UUID is the name-based uuid5 of a fixed namespace and the object's content (cluster members,
campaign bounds, patterns), with its version field set to 4. STIX asks for version 4 ids
(random) on these objects; a hash of the content is as unpredictable to a reader and as
unlikely to collide, and it keeps the file reproducible. SCO ids (``user-account``) are the
uuid5 that STIX defines from their id-contributing properties, computed by stix2.

**Accounts.** ``account_type`` is a STIX open vocabulary (account-type-ov) that knows
``twitter`` and ``facebook`` but no other platform cibscan reads; rather than invent values,
every account carries its platform in cibscan's property extension (``platform``, the
cibscan platform name), and ``account_type`` only when the platform is in the vocabulary.
Patterns name the platform the same way.

**Extensions.** cibscan's own properties (an account's ``platform``, the evidence rows of an
``observed-data``) live in one property-extension, declared by the ``extension-definition``
:data:`EXTENSION_ID` shipped in every bundle that uses it; its schema is described in
plain text (docs/outputs.md).

**Markings.** A bundle carries one TLP 2.0 ``marking-definition`` (the OASIS objects with
their fixed ids; :data:`TLP_LEVELS`) and every object made from the case refers to it. The
producer identity, the extension-definition and the attack-patterns hold nothing from the
case (they are the same in every bundle) and are left unmarked.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import stix2

from cibscan.export import techniques as tq

#: namespace of every SDO id; changing it changes every id cibscan has ever exported
NAMESPACE = uuid.UUID("01531af1-719d-49ed-95ed-3aabb3423c38")
#: creation date of the objects that do not depend on a case (producer, attack-patterns)
STATIC_CREATED = datetime(2024, 1, 1, tzinfo=UTC)
#: cibscan's property extension (a fixed random UUID; never change it)
EXTENSION_ID = "extension-definition--9c17c6a0-27c8-4f12-800c-ad356cd8eefb"
#: the property-extension marker of every use of cibscan's extension
EXTENSION_TYPE = "property-extension"
#: account-type-ov of STIX 2.1 (section 10.2): the only account types the validator accepts
ACCOUNT_TYPES = frozenset(
    (
        "facebook",
        "ldap",
        "nis",
        "openid",
        "radius",
        "skype",
        "tacacs",
        "twitter",
        "unix",
        "windows-local",
        "windows-domain",
    )
)
#: the TLP 2.0 extension-definition published by OASIS (cti-stix-common-objects)
TLP_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#: TLP 2.0 level -> the OASIS marking-definition id (fixed by the TLP 2.0 extension)
TLP_LEVELS: dict[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
#: the level of a bundle when none is asked for: shared within the recipient's organisation
DEFAULT_TLP = "amber"
#: creation date of the OASIS TLP 2.0 marking-definitions
_TLP_CREATED = datetime(2022, 10, 1, tzinfo=UTC)

_EXTENSION_SCHEMA = (
    "cibscan property extension (docs/outputs.md, 'STIX bundle'). On user-account: "
    "platform (string, required): the platform of the account as cibscan names it "
    "(twitter, reddit, youtube, telegram, bluesky, mastodon, tiktok, facebook, instagram, or "
    "an adapter's own name). On observed-data: evidence (list of objects, required): the "
    "closest-in-time evidence rows of a cluster, each with signal, account_a and account_b "
    "(platform:account_id), object, post_a, post_b, time_a and time_b (ISO 8601), "
    "gap_seconds; evidence_total (integer, required): the number of evidence rows of the "
    "cluster, kept or not."
)


def sdo_id(kind: str, *parts: Any) -> str:
    """A deterministic STIX id of version-4 form: uuid5 of the kind and the parts
    (JSON-encoded, unambiguous) with the version field set to 4 (see the module docstring)."""
    key = json.dumps([kind, *parts], ensure_ascii=False, default=str)
    return f"{kind}--{uuid.UUID(bytes=uuid.uuid5(NAMESPACE, key).bytes, version=4)}"


def escape_pattern_string(value: str) -> str:
    """A string literal body for a STIX pattern: backslash and single quote escaped."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def clean(**props: Any) -> dict[str, Any]:
    """Keyword arguments without the unknown (None) ones, which STIX omits."""
    return {k: v for k, v in props.items() if v is not None}


def extension(**props: Any) -> dict[str, Any]:
    """An ``extensions`` value holding cibscan's property extension with ``props``."""
    return {EXTENSION_ID: {"extension_type": EXTENSION_TYPE, **props}}


def producer() -> Any:
    """cibscan itself, the ``created_by_ref`` of every SDO it makes."""
    return stix2.Identity(
        id=sdo_id("identity", "cibscan"),
        name="cibscan",
        identity_class="system",
        description="cibscan: detection of coordinated inauthentic behaviour",
        created=STATIC_CREATED,
        modified=STATIC_CREATED,
    )


def extension_definition(producer_id: str) -> Any:
    """The extension-definition of cibscan's property extension (static)."""
    return stix2.ExtensionDefinition(
        id=EXTENSION_ID,
        name="cibscan findings properties",
        description=(
            "Properties cibscan adds to user-account (the platform of the account) and "
            "observed-data (the evidence rows behind a coordinated network)."
        ),
        schema=_EXTENSION_SCHEMA,
        version="1.0.0",
        extension_types=[EXTENSION_TYPE],
        created=STATIC_CREATED,
        modified=STATIC_CREATED,
        created_by_ref=producer_id,
    )


def tlp_marking(level: str) -> Any:
    """The OASIS TLP 2.0 marking-definition of ``level`` (clear, green, amber, red)."""
    if level not in TLP_LEVELS:
        raise ValueError(f"unknown TLP level {level!r}; known: {', '.join(TLP_LEVELS)}")
    return stix2.MarkingDefinition(
        id=TLP_LEVELS[level],
        name=f"TLP:{level.upper()}",
        created=_TLP_CREATED,
        extensions={TLP_EXTENSION_ID: {"extension_type": EXTENSION_TYPE, "tlp_2_0": level}},
    )


def platform_type(platform: str) -> str | None:
    """``account_type`` of an account on ``platform``: the platform when it is in the
    vocabulary, else None (the platform is in cibscan's extension)."""
    name = platform.lower()
    return name if name in ACCOUNT_TYPES else None


def user_account(
    platform: str,
    account_id: str | None,
    handle: str | None,
    display_name: str | None = None,
    created: datetime | None = None,
    markings: list[str] | None = None,
) -> Any:
    """The user-account SCO of an account (its id is computed by stix2).

    Its id hashes ``account_type``, ``user_id`` and ``account_login``: two accounts of the
    same id and handle on two platforms outside the vocabulary share it (STIX's rule; no
    platform cibscan reads shares an id format with another)."""
    return stix2.UserAccount(
        **clean(
            user_id=account_id,
            account_login=handle,
            display_name=display_name,
            account_type=platform_type(platform),
            account_created=created,
            object_marking_refs=markings,
        ),
        extensions=extension(platform=platform.lower()),
    )


def account_pattern(platform: str, account_id: str, handle: str | None) -> str:
    """The indicator pattern of an account: its login (or, unknown, its id) on its platform
    (``account_type`` when the vocabulary has the platform, else cibscan's extension)."""
    prop, value = ("account_login", handle) if handle else ("user_id", account_id)
    name = platform.lower()
    where = (
        "user-account:account_type"
        if platform_type(name)
        else f"user-account:extensions.'{EXTENSION_ID}'.platform"
    )
    return (
        f"[user-account:{prop} = '{escape_pattern_string(value)}'"
        f" AND {where} = '{escape_pattern_string(name)}']"
    )


def attack_pattern(technique: tq.Technique, producer_id: str) -> Any:
    """A DISARM technique, filed in DISARM's and in Meta's kill chain (static per id).

    External references carry no ``url``: STIX asks for the hash of the page with one,
    which cibscan cannot know offline; the description names the pages instead."""
    metas = tq.meta_for(technique.id)
    refs = [
        {
            "source_name": tq.DISARM_SOURCE,
            "external_id": technique.id,
            "description": f"{tq.DISARM_LICENCE}; {technique.disarm_url}",
        }
    ]
    refs += [
        {
            "source_name": tq.META_SOURCE,
            "external_id": m.id,
            "description": f"{m.name} ({m.tactic}); {tq.META_URL}",
        }
        for m in metas
    ]
    phases = [{"kill_chain_name": tq.DISARM_KILL_CHAIN, "phase_name": technique.phase}]
    for phase in sorted({m.phase for m in metas}):
        phases.append({"kill_chain_name": tq.META_KILL_CHAIN, "phase_name": phase})
    return stix2.AttackPattern(
        id=sdo_id("attack-pattern", "disarm", technique.id),
        name=technique.name,
        description=(
            f"DISARM {technique.id}. Evidenced in cibscan by: "
            f"{', '.join(tq.evidenced_by(technique.id))}."
        ),
        external_references=refs,
        kill_chain_phases=phases,
        created=STATIC_CREATED,
        modified=STATIC_CREATED,
        created_by_ref=producer_id,
    )
