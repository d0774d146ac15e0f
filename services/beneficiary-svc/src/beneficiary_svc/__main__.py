from btxh_common.service import serve

from beneficiary_svc.app import app, settings

serve(app, settings)
