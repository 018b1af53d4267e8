"""The one error hierarchy: a code and an HTTP status per class, either overridable per raise."""

from core.errors import DataError, UserError
from photo.session import UnknownPhoto
from vision.errors import AllTaggersFailed, ImageError, TaggerConfigError


def test_a_user_error_is_a_400_bad_request_by_default() -> None:
    error = UserError("no such file")
    assert (error.code, error.status, str(error)) == ("bad_request", 400, "no such file")


def test_one_raise_may_give_its_own_code_and_status_without_changing_the_class() -> None:
    error = UserError("too deep", code="invalid_json", status=413)
    assert (error.code, error.status) == ("invalid_json", 413)
    assert (UserError.code, UserError.status) == ("bad_request", 400)


def test_subclasses_carry_their_code_and_status() -> None:
    assert (DataError.code, DataError.status) == ("not_ready", 503)
    assert (UnknownPhoto.code, UnknownPhoto.status) == ("unknown_photo", 404)
    assert (ImageError.code, ImageError.status) == ("invalid_image", 400)
    assert (TaggerConfigError.code, TaggerConfigError.status) == ("tagger_not_configured", 503)
    assert (AllTaggersFailed.code, AllTaggersFailed.status) == ("tagger_failed", 502)
