import pytest


@pytest.fixture
def demo(world):
    """The tiny district with the demos the councils draw on (cases, alliances, resources, consult, plans)
    and the councils' own demo."""
    from gongzhi.core import manifest

    out = {}
    for _app, _step, generate in manifest.loaded().demos:
        out.update(generate(seed=7, scale="tiny", progress=lambda *a: None) or {})
    return out
