from .stitching import stitch_patches, reassemble_patches
from .cropping import (
    center_crop_spatial,
    center_crop_spatial_by_border,
    crop_to_scan_area,
    get_scan_area_bbox,
)
from .registration import find_translation_offset, apply_shift_and_crop, register_and_align
from .harmonize import resize_complex_to_shape
