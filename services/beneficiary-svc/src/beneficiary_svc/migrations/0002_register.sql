-- The register: categories and standard levels (data with dates), beneficiaries, history, locks.

CREATE TABLE category (
    code           text PRIMARY KEY,
    name_vi        text NOT NULL,
    coefficient    int  NOT NULL CHECK (coefficient > 0 AND coefficient % 5 = 0),  -- tenths
    legal_basis    text NOT NULL,
    effective_from date NOT NULL,
    effective_to   date,
    note           text
);

-- Decree 20/2021/NĐ-CP, Art. 5 (groups) and Art. 6 (coefficients), in force from 2021-07-01.
INSERT INTO category (code, name_vi, coefficient, legal_basis, effective_from, note) VALUES
 ('TE_MC_U4', 'Trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng, dưới 4 tuổi', 25, 'NĐ 20/2021 Đ5 K1; Đ6 K1 a', '2021-07-01', NULL),
 ('TE_MC_4_16', 'Trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng, từ đủ 4 tuổi', 15, 'NĐ 20/2021 Đ5 K1; Đ6 K1 a', '2021-07-01', NULL),
 ('HS_16_22', 'Người từ 16 đến 22 tuổi đang học, thuộc đối tượng khoản 1', 15, 'NĐ 20/2021 Đ5 K2; Đ6 K1 b', '2021-07-01', NULL),
 ('TE_HIV_U4', 'Trẻ em nhiễm HIV/AIDS thuộc hộ nghèo, dưới 4 tuổi', 25, 'NĐ 20/2021 Đ5 K3; Đ6 K1 c', '2021-07-01', NULL),
 ('TE_HIV_4_16', 'Trẻ em nhiễm HIV/AIDS thuộc hộ nghèo, từ đủ 4 tuổi', 20, 'NĐ 20/2021 Đ5 K3; Đ6 K1 c', '2021-07-01', NULL),
 ('DON_THAN', 'Người đơn thân nghèo đang nuôi con (mỗi con)', 10, 'NĐ 20/2021 Đ5 K4; Đ6 K1 d', '2021-07-01', 'Trợ cấp tính theo từng con'),
 ('NCT_NGHEO_60_80', 'Người cao tuổi hộ nghèo không có người phụng dưỡng, từ 60 đến dưới 80 tuổi', 15, 'NĐ 20/2021 Đ5 K5 a; Đ6 K1 đ', '2021-07-01', NULL),
 ('NCT_NGHEO_80', 'Người cao tuổi hộ nghèo không có người phụng dưỡng, từ đủ 80 tuổi', 20, 'NĐ 20/2021 Đ5 K5 a; Đ6 K1 đ', '2021-07-01', NULL),
 ('NCT_75_80_DTTS', 'Người cao tuổi từ đủ 75 đến 80 tuổi hộ nghèo, cận nghèo ở xã, thôn vùng DTTS và miền núi đặc biệt khó khăn', 10, 'NĐ 20/2021 Đ5 K5 b; Đ6 K1 đ', '2021-07-01', 'Không có trong bảng DOMAIN.md; thêm theo văn bản nghị định (điểm b khoản 5 Điều 5, hệ số 1,0)'),
 ('NCT_80', 'Người từ đủ 80 tuổi không có lương hưu, trợ cấp BHXH', 10, 'NĐ 20/2021 Đ5 K5 c; Đ6 K1 đ', '2021-07-01', NULL),
 ('NCT_CD', 'Người cao tuổi đủ điều kiện vào cơ sở nhưng được chăm sóc tại cộng đồng', 30, 'NĐ 20/2021 Đ5 K5 d; Đ6 K1 đ', '2021-07-01', NULL),
 ('KT_DBN', 'Người khuyết tật đặc biệt nặng', 20, 'NĐ 20/2021 Đ5 K6; Đ6 K1 e', '2021-07-01', NULL),
 ('KT_DBN_TE_NCT', 'Người khuyết tật đặc biệt nặng là trẻ em hoặc người cao tuổi', 25, 'NĐ 20/2021 Đ5 K6; Đ6 K1 e', '2021-07-01', NULL),
 ('KT_N', 'Người khuyết tật nặng', 15, 'NĐ 20/2021 Đ5 K6; Đ6 K1 e', '2021-07-01', NULL),
 ('KT_N_TE_NCT', 'Người khuyết tật nặng là trẻ em hoặc người cao tuổi', 20, 'NĐ 20/2021 Đ5 K6; Đ6 K1 e', '2021-07-01', NULL),
 ('TE_U3_DTTS', 'Trẻ em dưới 3 tuổi hộ nghèo, cận nghèo vùng DTTS đặc biệt khó khăn', 15, 'NĐ 20/2021 Đ5 K7; Đ6 K1 g', '2021-07-01', NULL),
 ('HIV_NGHEO', 'Người nhiễm HIV/AIDS thuộc hộ nghèo không có nguồn thu nhập', 15, 'NĐ 20/2021 Đ5 K8; Đ6 K1 h', '2021-07-01', NULL);

CREATE TABLE standard_level (
    effective_from date   PRIMARY KEY CHECK (extract(day FROM effective_from) = 1),
    amount         bigint NOT NULL CHECK (amount > 0),
    legal_basis    text   NOT NULL
);
INSERT INTO standard_level VALUES
 ('2021-07-01', 360000, 'Nghị định 20/2021/NĐ-CP'),
 ('2024-07-01', 500000, 'Nghị định 76/2024/NĐ-CP');

CREATE TABLE beneficiary (
    id                     uuid PRIMARY KEY,
    district_code          text NOT NULL,
    commune_code           text NOT NULL REFERENCES admin_unit (code),
    national_id            text CHECK (national_id ~ '^([0-9]{9}|[0-9]{12})$'),
    full_name              text NOT NULL CHECK (full_name <> ''),
    name_folded            text NOT NULL,
    birth_date             date,
    gender                 text CHECK (gender IN ('male', 'female', 'other')),
    ethnicity              text,
    address                text,
    phone                  text,
    category               text REFERENCES category (code),
    coefficient            int CHECK (coefficient > 0),
    allowance_start_month  date CHECK (extract(day FROM allowance_start_month) = 1),
    decision_no            text,
    decision_date          date,
    status                 text NOT NULL CHECK (status IN
                           ('active', 'suspended', 'under_review', 'stopped', 'deceased', 'removed')),
    status_effective_month date CHECK (extract(day FROM status_effective_month) = 1),
    status_reason          text,
    death_date             date,
    funeral_recipient      text,
    arrears_amount         bigint NOT NULL DEFAULT 0 CHECK (arrears_amount >= 0),
    arrears_period         date CHECK (extract(day FROM arrears_period) = 1),
    recovery_amount        bigint NOT NULL DEFAULT 0 CHECK (recovery_amount >= 0),
    payment_channel        text NOT NULL DEFAULT 'cash' CHECK (payment_channel IN ('cash', 'bank', 'ewallet')),
    bank_account           text,
    bank_name              text,
    version                int  NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX beneficiary_district_commune ON beneficiary (district_code, commune_code);
CREATE INDEX beneficiary_national_id ON beneficiary (national_id) WHERE national_id IS NOT NULL;
CREATE INDEX beneficiary_district_name ON beneficiary (district_code, name_folded);

CREATE TABLE beneficiary_history (
    id             bigserial PRIMARY KEY,
    beneficiary_id uuid        NOT NULL REFERENCES beneficiary (id),
    district_code  text        NOT NULL,
    at             timestamptz NOT NULL DEFAULT now(),
    officer        text        NOT NULL,
    action         text        NOT NULL,
    reason         text,
    source         text        NOT NULL,  -- 'manual' or 'import:<batch id>'
    changed        text[]      NOT NULL,
    before         jsonb,
    after          jsonb       NOT NULL
);
CREATE INDEX beneficiary_history_beneficiary ON beneficiary_history (beneficiary_id, id);

CREATE TABLE data_lock (
    id            bigserial PRIMARY KEY,
    district_code text        NOT NULL,
    month         date        NOT NULL CHECK (extract(day FROM month) = 1),
    note          text        NOT NULL,
    locked_by     text        NOT NULL,
    locked_at     timestamptz NOT NULL DEFAULT now(),
    unlocked_by   text,
    unlocked_at   timestamptz,
    unlock_note   text
);
CREATE INDEX data_lock_active ON data_lock (district_code, month) WHERE unlocked_at IS NULL;
