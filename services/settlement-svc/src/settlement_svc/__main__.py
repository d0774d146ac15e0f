from btxh_common.service import serve

from settlement_svc.app import app, settings

serve(app, settings)
