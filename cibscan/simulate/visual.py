"""The campaign on image and video platforms: Instagram, Pinterest and TikTok mirrors.

Spamouflage ran on 50+ platforms; researchers now see Instagram through the Meta Content
Library and Pinterest and TikTok through Zeeschuimer captures. With
``SpamouflageParams.visual_mirrors`` > 0, that many operator personas are mirrored there in
turn (Instagram, Pinterest, TikTok): the same display name and handle as on X, the X
persona's texts posted again, and the campaign's own media: a few images (content hashes)
that its Instagram and Pinterest mirrors all post within half an hour of each "drop", and one
"original sound" that its TikTok mirrors all use at those drops. That is what ties the platforms
together for detection: cross-platform personas (names, handles, texts) and co-media.

Ordinary users are there too (``visual_organic`` a platform), so that nothing is found merely
by being on a platform: each posts a few chatter texts with images of their own, some
Pinterest users save the same popular image over the days (a shared image, not a
coordinated one), and a third of the TikTok users use one trending sound.

Nothing here runs with ``visual_mirrors`` = 0 (the default), so the default world draws
nothing extra from the generator and keeps its bytes.
"""

from __future__ import annotations

import numpy as np

from cibscan.simulate import texts
from cibscan.simulate.base import Account, Builder, Post

#: mirror platforms, in the order personas are given to them
SINKS = ("instagram_mcl", "pinterest_zs", "tiktok_zs")
_DAY = 86400


def _image(b: Builder) -> str:
    """A content hash of an image: 32 hex digits (Pinterest's image file names are such)."""
    return "".join(f"{int(x):02x}" for x in b.rng.integers(0, 256, 16))


def _sound(b: Builder) -> str:
    """A TikTok music id (19 digits)."""
    return str(int(b.rng.integers(6_900_000_000_000_000_000, 7_400_000_000_000_000_000)))


def _account_id(b: Builder, sink: str, handle: str) -> str:
    """Instagram accounts by number (MCL's post_owner.id); Pinterest and TikTok by username
    (what their adapters key accounts by)."""
    if sink == "instagram_mcl":
        return str(int(b.rng.integers(1_000_000_000, 60_000_000_000)))
    return handle


def _handle(sink: str, handle: str) -> str:
    """Pinterest and TikTok usernames are lower-case (the platforms fold them)."""
    return handle if sink == "instagram_mcl" else handle.lower()


def mirror(
    b: Builder, network: str, mirrors: int, organic_per_platform: int, office: np.ndarray
) -> None:
    """Add the campaign's image/video mirrors and the ordinary users of those platforms;
    ``office`` is the operators' local-hour profile (UTC+8), which the drops keep."""
    if mirrors <= 0:
        return
    rng = b.rng
    personas = [a for a in b.accounts if a.role == "operator_persona" and a.sink == "x_io"]
    if not personas:
        return
    own: dict[str, list[Post]] = {a.account_id: [] for a in personas}
    for p in b.posts:
        if p.account.account_id in own and p.kind == "post" and p.lang in ("en", "zh"):
            own[p.account.account_id].append(p)
    # the campaign's media drops: each image (and the sound) pushed by every mirror of a
    # platform within half an hour of the drop, on office hours of weekdays
    images = [_image(b) for _ in range(max(3, mirrors // 3))]
    sound = _sound(b)
    drops = sorted(int(t) for t in b.times(len(images), office, 8, 0.1))
    used: set[tuple[str, str]] = set()
    for i in range(mirrors):
        # each persona on every platform in turn (one identity, many platforms); picking the
        # persona by i % len(personas) sent every mirror of a persona to one platform when
        # the personas were a multiple of the platforms (3 Instagram accounts of one person)
        src = personas[(i // len(SINKS)) % len(personas)]
        sink = SINKS[i % len(SINKS)]
        handle = _handle(sink, src.handle)
        handle = handle if (sink, handle) not in used else f"{handle}_{i}"
        used.add((sink, handle))
        a = b.add(
            Account(
                sink,
                _account_id(b, sink, handle),
                handle,
                src.name,
                src.created,
                "campaign",
                network,
                "operator_persona",
                description=src.description,
            )
        )
        texts_of_src: list[Post | None] = [*own[src.account_id]] or [None]
        for k, drop in enumerate(drops):
            o = texts_of_src[k % len(texts_of_src)]
            t = min(drop + int(rng.integers(60, 1800)), b.end - 60)
            text = o.text if o else texts.pick(rng, texts.CAMOUFLAGE)
            media = (sound,) if sink == "tiktok_zs" else (images[k],)
            b.post(a, t, "post", text, hashtags=o.hashtags if o else (),
                   urls=o.urls if o else (), media=media)  # fmt: skip
    _ordinary(b, organic_per_platform)


def _ordinary(b: Builder, n: int) -> None:
    """``n`` ordinary users a platform, with their own images, a popular image saved over
    days on Pinterest and a trending sound on TikTok (shared media that is not coordinated)."""
    rng = b.rng
    popular, trending = _image(b), _sound(b)
    for sink in SINKS:
        for _ in range(n):
            name, handle = texts.organic_handle(rng)
            handle = _handle(sink, f"{handle}{int(rng.integers(10, 99))}")
            created = b.start - int(rng.integers(60, 2000)) * _DAY
            a = b.add(Account(sink, _account_id(b, sink, handle), handle, name, created))
            for _ in range(int(rng.integers(1, 5))):
                t = b.start + int(rng.integers(0, b.days * _DAY - 60))
                media = (_image(b),)
                if sink == "pinterest_zs" and rng.random() < 0.3:
                    media = (popular,)
                elif sink == "tiktok_zs":
                    media = (trending,) if rng.random() < 0.33 else (_sound(b),)
                b.post(a, t, "post", texts.chatter(rng), media=media)
