"""Why import-svc refuses a request: a stable code and the Vietnamese message officers read.

The codes and texts are the ones the service has always answered; ``btxh_common`` maps each
family to its HTTP status (``InvalidInput`` 422, ``NotFoundError`` 404, the rest 409).
"""

from __future__ import annotations

from btxh_common.errors import DomainError, InvalidInput, NotFoundError, TooLarge

# What a finding on a row says is wrong: its stable code and the rule, in Vietnamese. A
# finding's ``message_vi`` is the rule preceded by the row, the column (letter and header)
# and the value (``domain/explain.py``); some rules are given with the row's own details
# (whose ID it is, the column's bound) and then replace the text here.
ROW_RULES: dict[str, str] = {
    "required": "Trường bắt buộc chưa có giá trị",
    "national_id_format": "Số CCCD/CMND phải gồm đúng 9 hoặc 12 chữ số",
    "national_id_numeric": (
        "Ô số CCCD/CMND đang ở dạng số nên đã mất các số 0 ở đầu; định dạng cột là Văn bản "
        "và nhập lại đủ số"
    ),
    "not_found": "Không tìm thấy đối tượng có số CCCD/CMND này trong huyện",
    "commune_mismatch": "Đối tượng không thuộc xã của lô dữ liệu",
    "duplicate_in_file": "Số CCCD/CMND xuất hiện nhiều lần trong các tệp tải lên",
    "held_by_several": "Số CCCD/CMND đang trùng giữa nhiều đối tượng trong hệ thống",
    "change_type_invalid": "Loại biến động không đúng với loại dữ liệu",
    "amount_invalid": "Số tiền phải là số nguyên không âm (ví dụ 1.500.000)",
    "amount_required": "Có kỳ chi trả thì phải có số tiền truy lĩnh",
    "period_invalid": "Kỳ chi trả phải có dạng MM/YYYY",
    "period_range": (
        "Chỉ nhập một tháng: đây là tháng chi trả khoản truy lĩnh, không phải khoảng thời gian "
        "được truy lĩnh"
    ),
    "period_past": "Kỳ chi trả đã qua: danh sách các tháng trước đã khóa",
    "period_too_far": "Kỳ chi trả chỉ được trong 12 tháng tới",
    "period_required": "Có số tiền truy lĩnh thì phải có kỳ chi trả",
    "formula_not_allowed": "Ô chứa công thức hoặc bắt đầu bằng =, +, @; hãy nhập giá trị",
    "merged_cell": "Ô bị gộp (merge); hãy bỏ gộp ô",
    "hidden_row": "Dòng đang bị ẩn trong tệp; hãy hiện dòng hoặc xóa nếu không dùng",
    "date_invalid": "Ngày phải có dạng DD/MM/YYYY",
    "gender_invalid": "Giới tính phải là Nam, Nữ hoặc Khác",
    "name_invalid": "Họ tên không hợp lệ",
    "text_too_long": "Nội dung quá dài so với số ký tự tối đa của cột",
    "id_must_be_new": "Số CCCD/CMND đã có trong hệ thống: không thể tăng mới",
    "ignored_column_changed": "Cột này không được cập nhật qua mẫu này; giá trị sửa bị bỏ qua",
    "cccd_birth_year_mismatch": "Năm sinh trong số CCCD khác năm sinh đã lưu",
    "cccd_gender_mismatch": "Giới tính trong số CCCD khác giới tính đã lưu",
    "id_of_another": (
        "Số CCCD/CMND này là của một đối tượng khác trong huyện, không phải của đối tượng "
        "có mã ở cột Mã đối tượng"
    ),
    "month_invalid": "Tháng phải có dạng MM/YYYY (ví dụ 12/2026)",
    "commune_not_in_district": "Mã xã không thuộc huyện của lần tải lên",
    "children_invalid": "Số con phải là số nguyên từ 1 đến 50",
    "children_not_applicable": "Chỉ đối tượng đơn thân nuôi con (DON_THAN) ghi số con",
}


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
