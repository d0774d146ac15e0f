-- One database per service (services never share one).
CREATE DATABASE btxh_import;
CREATE DATABASE btxh_beneficiary;
CREATE DATABASE btxh_payment;
CREATE DATABASE btxh_settlement;
