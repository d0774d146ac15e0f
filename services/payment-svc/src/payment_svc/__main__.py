from btxh_common.service import serve

from payment_svc.app import app, settings

serve(app, settings)
