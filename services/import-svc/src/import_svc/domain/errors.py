"""Why import-svc refuses a request: a stable code and the Vietnamese message officers read.

The codes and texts are the ones the service has always answered; ``btxh_common`` maps each
family to its HTTP status (``InvalidInput`` 422, ``NotFoundError`` 404, the rest 409).
"""

from __future__ import annotations

from btxh_common.errors import DomainError, InvalidInput, NotFoundError, TooLarge


class NoFiles(InvalidInput):
    code = "no_files"
    message_vi = "Chưa chọn tệp nào"


class TooManyFiles(InvalidInput):
    code = "too_many_files"

    def __init__(self, most: int) -> None:
        super().__init__(f"Tối đa {most} tệp mỗi lần")


class RowNotFound(NotFoundError):
    code = "not_found"
    message_vi = "Không có dòng này trong lô"


class BatchNotEditable(InvalidInput):
    """Rows are edited only while the batch is in review."""

    code = "not_in_review"

    def __init__(self, status: str) -> None:
        super().__init__(f"Lô đang ở trạng thái {status}: không sửa được")


class BatchNotInReview(DomainError):
    code = "not_in_review"

    def __init__(self, status: str) -> None:
        super().__init__(f"Lô đang ở trạng thái {status}: không kiểm tra lại được")


class AlreadyConfirmed(DomainError):
    code = "already_confirmed"

    def __init__(self, status: str) -> None:
        super().__init__(f"Lô đã ở trạng thái {status}: không xác nhận lại được")


class BatchFailed(AlreadyConfirmed):
    """A file that could not be read has nothing to confirm."""

    code = "batch_failed"


class CommuneUnknown(DomainError):
    code = "commune_unknown"
    message_vi = "Lô chưa xác định được xã: sửa mã xã các dòng rồi tải lên lại"


class InvalidRowsLeft(DomainError):
    code = "invalid_rows_left"

    def __init__(self, left: int) -> None:
        super().__init__(
            f"Còn {left} dòng lỗi hoặc trùng: sửa hết, hoặc xác nhận bỏ qua các dòng này"
        )


class NothingToConfirm(DomainError):
    code = "nothing_to_confirm"
    message_vi = "Lô không có dòng hợp lệ nào để xác nhận"


class UploadTooLarge(TooLarge):
    code = "upload_too_large"

    def __init__(self, most: int) -> None:
        super().__init__(
            f"Lần tải lên lớn hơn giới hạn {most // (1024 * 1024)} MB; hãy chia thành nhiều lần"
        )


class UploadLengthMissing(InvalidInput):
    code = "upload_length_missing"
    message_vi = "Yêu cầu tải lên thiếu độ dài (Content-Length); hãy tải lên bằng trình duyệt"


class RowsNotValidated(DomainError):
    """An edited row is ``unvalidated`` until the batch is validated again."""

    code = "rows_not_validated"

    def __init__(self, left: int) -> None:
        super().__init__(f"Còn {left} dòng đã sửa chưa được kiểm tra lại: hãy kiểm tra lại lô")


class FileTooLarge(TooLarge):
    """A file of an upload over ``import_max_file_bytes``, seen while it is received."""

    code = "file_too_large"

    def __init__(self, name: str, most: int) -> None:
        super().__init__(
            f"Tệp «{name}» lớn hơn giới hạn {most // (1024 * 1024)} MB mỗi tệp; "
            "hãy chia nhỏ theo xã rồi tải lên lại"
        )


class UploadNotMultipart(InvalidInput):
    code = "upload_not_multipart"
    message_vi = "Yêu cầu tải lên phải là multipart/form-data (trường kind, district và files)"


class UploadMalformed(InvalidInput):
    code = "upload_malformed"
    message_vi = "Nội dung tải lên không đúng định dạng multipart/form-data; hãy tải lên lại"


class UploadTooManyRows(InvalidInput):
    """The files of one upload are read and checked together; together they hold at most
    ``import_max_upload_rows`` rows."""

    code = "upload_too_many_rows"

    def __init__(self, most: int) -> None:
        super().__init__(
            f"Các tệp của lần tải lên này đã vượt {most:,} dòng cộng lại; ".replace(",", ".")
            + "hãy tải tệp này lên riêng"
        )
