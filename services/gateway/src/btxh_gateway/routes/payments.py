"""(filled below)"""

from fastapi import APIRouter

router = APIRouter()
