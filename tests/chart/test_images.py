"""Images: tag, digest and the air-gapped mirror (global.imageRegistry), for every container rendered."""
import pytest

from tests.chart.render import CI_SETS, render

MIRROR = "mirror.internal:5000/dbbat-mirror"
DIGEST = "sha256:" + "ab" * 32


def images(obj):
    """Every image of every container list (containers, initContainers, ephemeralContainers) in obj."""
    found = []
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("containers", "initContainers", "ephemeralContainers") and isinstance(value, list):
                found += [(key, c["name"], c["image"]) for c in value]
            else:
                found += images(value)
    elif isinstance(obj, list):
        for item in obj:
            found += images(item)
    return found


def all_images(r):
    return [(o["kind"], o["metadata"]["name"], *image) for o in r.objects for image in images(o)]


@pytest.mark.parametrize("values_file", CI_SETS)
def test_no_image_leaves_the_mirror(helm, values_file):
    r = render(helm, values_file, values={"global": {"imageRegistry": MIRROR}})
    found = all_images(r)
    assert found
    for kind, name, key, container, image in found:
        assert image.startswith(MIRROR + "/"), f"{kind}/{name} {key} {container}: {image}"


@pytest.mark.parametrize("repository,expected", [
    ("ghcr.io/fclairamb/dbbat", f"{MIRROR}/fclairamb/dbbat:0.25.2"),
    ("localhost:5000/dbbat", f"{MIRROR}/dbbat:0.25.2"),
    ("localhost/team/dbbat", f"{MIRROR}/team/dbbat:0.25.2"),
    ("fclairamb/dbbat", f"{MIRROR}/fclairamb/dbbat:0.25.2"),
    ("busybox", f"{MIRROR}/busybox:0.25.2"),
])
def test_mirror_replaces_only_the_registry_part(helm, repository, expected):
    r = render(helm, "minimal", values={"image": {"repository": repository}, "global": {"imageRegistry": MIRROR}})
    assert r.container["image"] == expected


def test_mirror_keeps_tag_and_digest(helm):
    r = render(helm, "minimal", values={"image": {"tag": "0.26.0", "digest": DIGEST},
                                        "global": {"imageRegistry": MIRROR + "/"}})
    assert r.container["image"] == f"{MIRROR}/fclairamb/dbbat:0.26.0@{DIGEST}"


def test_no_mirror_by_default(helm):
    for _, _, _, _, image in all_images(render(helm, "minimal")):
        assert image == "ghcr.io/fclairamb/dbbat:0.25.2"


def test_other_global_values_are_accepted(helm):
    """A parent chart passes its own globals down: they must not be refused."""
    render(helm, "minimal", values={"global": {"storageClass": "fast", "imageRegistry": ""}})
