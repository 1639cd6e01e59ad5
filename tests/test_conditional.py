"""Range and conditional requests for a static file, as RFC 9110 says (server/conditional.py)."""
import pytest
from werkzeug.http import http_date

from server import create_app
from tests.test_server import make_site

SHARD = "/models/m/group1-shard1of1.bin"
WHOLE = bytes(range(256))


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return create_app({"WEB_ROOT": make_site(tmp_path_factory.mktemp("site"))}).test_client()


@pytest.fixture(scope="module")
def validators(client):
    response = client.get(SHARD)
    return response.headers["ETag"], response.headers["Last-Modified"]


def test_one_byte_range_is_served_as_206(client):
    response = client.get(SHARD, headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert response.data == WHOLE[10:20]
    assert response.headers["Content-Range"] == "bytes 10-19/256"


@pytest.mark.parametrize("header", ["bytes=0-10,20-30", "items=0-10", "bytes=abc", "bytes=", "bytes=20-10"])
def test_a_range_that_is_not_one_byte_range_is_ignored(client, header):
    response = client.get(SHARD, headers={"Range": header})
    assert response.status_code == 200
    assert response.data == WHOLE
    assert "Content-Range" not in response.headers


def test_a_byte_range_past_the_end_is_416(client):
    response = client.get(SHARD, headers={"Range": "bytes=1000-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */256"


def test_head_ignores_range(client):
    response = client.head(SHARD, headers={"Range": "bytes=10-19"})
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "256"


def test_if_match_that_matches_serves_the_file(client, validators):
    assert client.get(SHARD, headers={"If-Match": validators[0]}).data == WHOLE
    assert client.get(SHARD, headers={"If-Match": "*"}).status_code == 200


@pytest.mark.parametrize("extra", [{}, {"Range": "bytes=0-9"}], ids=["whole", "with-range"])
def test_if_match_that_fails_is_412_without_the_file(client, extra):
    response = client.get(SHARD, headers={"If-Match": '"not-this-one"', **extra})
    assert response.status_code == 412
    assert response.data == b"412 Precondition Failed\n"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_if_unmodified_since_before_the_last_change_is_412(client):
    response = client.get(SHARD, headers={"If-Unmodified-Since": http_date(0)})
    assert response.status_code == 412
    assert WHOLE not in response.data


def test_if_unmodified_since_at_the_last_change_serves_the_file(client, validators):
    assert client.get(SHARD, headers={"If-Unmodified-Since": validators[1]}).data == WHOLE


def test_if_match_outranks_if_unmodified_since(client, validators):
    response = client.get(SHARD, headers={"If-Match": validators[0], "If-Unmodified-Since": http_date(0)})
    assert response.status_code == 200


def test_an_invalid_if_unmodified_since_is_ignored(client):
    assert client.get(SHARD, headers={"If-Unmodified-Since": "yesterday"}).status_code == 200


def test_if_none_match_still_gives_304_after_a_passing_if_match(client, validators):
    response = client.get(SHARD, headers={"If-Match": validators[0], "If-None-Match": validators[0]})
    assert response.status_code == 304
    assert response.data == b""


def test_if_modified_since_gives_304(client, validators):
    assert client.get(SHARD, headers={"If-Modified-Since": validators[1]}).status_code == 304


def test_if_range_that_no_longer_matches_gives_the_whole_file(client, validators):
    matching = client.get(SHARD, headers={"Range": "bytes=0-9", "If-Range": validators[0]})
    assert (matching.status_code, matching.data) == (206, WHOLE[:10])
    stale = client.get(SHARD, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert (stale.status_code, stale.data) == (200, WHOLE)
