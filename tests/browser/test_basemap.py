"""The maps' own base layer in Chromium: community and grid labels drawn from the platform's data, with
no tile server and no request to any other host, and still drawing once the network is gone."""

from urllib.parse import urlsplit

import pytest

from .conftest import _poll, login

pytestmark = pytest.mark.browser


def test_grid_map_draws_labelled_boundaries_offline(page, server_url):
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc) if r.url.startswith("http") else None)
    login(page, server_url, "street")
    page.goto(server_url + "/map/")
    _poll(page, "document.getElementById('map').dataset.basemap === 'ready'")
    assert page.locator("#map.gz-basemap").count() == 1
    communities = page.locator(".gz-label-community")
    assert communities.count() > 0
    names = {t.strip() for t in communities.all_inner_texts()}
    assert all(names) and any(n.endswith(("社区", "村")) for n in names)
    assert page.locator(".gz-label-community").first.is_visible()
    assert page.locator(".gz-label-grid").count() > 0
    assert page.locator(".leaflet-tile").count() == 0  # no tile URL: the platform's own layers only

    page.context.set_offline(True)
    zoom = page.evaluate("gongzhiMap.getZoom()")
    page.evaluate("gongzhiMap.setZoom(16, {animate: false})")
    _poll(page, "gongzhiMap.getZoom() === 16")
    assert zoom < 16
    # Closer in, the grids' names show; the labels and outlines are still drawn with no network.
    _poll(page, "document.getElementById('map').classList.contains('gz-grid-labels')")
    _poll(page, "Array.from(document.querySelectorAll('.gz-label-grid')).some(e => e.offsetParent !== null)")
    assert page.locator(".gz-label-community").count() == communities.count()
    page.context.set_offline(False)

    assert hosts == {urlsplit(server_url).netloc}, hosts


@pytest.mark.parametrize(
    "path", ["/requests/new/", "/requests/simple/", "/incidents/declare/", "/resources/", "/alliances/", "/command/"]
)
def test_every_map_draws_the_base_layer(page, server_url, path):
    login(page, server_url, "street")
    page.goto(server_url + path)
    _poll(page, "(document.querySelector('.gz-basemap') || {dataset: {}}).dataset.basemap === 'ready'")
    assert page.locator(".gz-basemap .gz-label-community").count() > 0
