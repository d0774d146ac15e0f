from btxh_common.service import serve

from import_svc.app import app, settings

serve(app, settings)
