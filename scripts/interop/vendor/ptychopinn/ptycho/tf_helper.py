"""
TensorFlow Helper: Core tensor operations for ptychographic reconstruction.

This module implements the essential tensor transformation operations in the PtychoPINN 
physics-informed neural network architecture. It provides foundational data format 
conversions and patch assembly operations that enable the ptychographic reconstruction 
pipeline to process scanning diffraction data efficiently.

⚠️  PROTECTED MODULE: This is part of the stable physics implementation.
    Modifications should only be made with explicit justification and
    deep understanding of the ptychographic tensor flow requirements.

Architecture Role:
    Raw Data → Data Pipeline → **TF_HELPER** → Model Training → Reconstruction Output
"""

"""
Tensor Format System:
    The module implements a three-format tensor conversion system optimized for 
    ptychographic data processing:
    
    **Grid Format**: `(batch, gridsize, gridsize, N, N, 1)`
        - Physical meaning: Structured 2D array of overlapping diffraction patches
        - Usage: Maintains spatial relationships for physics-based operations
        - Memory layout: Preserves scan grid geometry for position-aware processing
    
    **Channel Format**: `(batch, N, N, gridsize²)`  
        - Physical meaning: Neural network compatible with channels = number of patches
        - Usage: Direct input to convolutional layers and U-Net processing
        - Memory layout: Height×Width×Channels for TensorFlow optimization
    
    **Flat Format**: `(batch × gridsize², N, N, 1)`
        - Physical meaning: Individual patches treated as separate batch elements
        - Usage: Independent processing of each scan position
        - Memory layout: Maximizes parallelism for element-wise operations
"""

"""
Public Interface:
    `reassemble_whole_object(patches, offsets, size, batch_size=None)`
        - **Purpose:** Assembles individual reconstruction patches into full object image
        - **Physics Context:** Inverts the ptychographic scanning process by combining overlapping regions
        - **Tensor Contracts:**
            - Input: `patches (B, N, N, C)` channel format; `offsets (B, 1, 2, C)` scan positions
            - Output: `(1, size, size, 1)` - Full reconstructed object image
        - **Critical Parameters:**
            - `batch_size`: Memory management for large datasets (None=auto)
    
    `extract_patches_position(imgs, offsets_xy, jitter=0.)`
        - **Purpose:** Extracts patches from full images at specified scan positions
        - **Physics Context:** Simulates ptychographic probe scanning with positional accuracy
        - **Tensor Contracts:**
            - Input: `(B, M, M, 1)` full images; `offsets_xy (B, 1, 2, C)` scan coordinates in channel format
            - Output: `(B, N, N, gridsize²)` - Extracted patches in channel format
        - **Critical Parameters:**
            - `jitter`: Random positioning noise for data augmentation
            
    `_togrid(img, gridsize=None, N=None)`
        - **Purpose:** Converts flat format to grid format for structured operations
        - **Usage Context:** Prepares data for physics-based spatial processing
        - **Tensor Contracts:**
            - Input: `(B×gridsize², N, N, 1)` - Flat format patches  
            - Output: `(B, gridsize, gridsize, N, N, 1)` - Grid format preserving geometry
            
    `shift_and_sum(obj_tensor, global_offsets, M=10)`
        - **Purpose:** High-performance batched patch reassembly with position correction
        - **Physics Context:** Reconstructs object from overlapping measurements with translation
        - **Performance:** 20-44x speedup over iterative implementation with perfect accuracy
"""

"""
Physics Implementation Notes:
    - **Patch Reassembly:** Uses batched TensorFlow operations for memory-efficient overlap handling
    - **Position Registration:** Maintains subpixel accuracy in scan position corrections
    - **Complex Tensor Support:** Automatic handling of amplitude/phase and real/imaginary representations
    - **Streaming Architecture:** Processes large datasets in chunks to prevent GPU memory overflow
"""

"""
Global State Dependencies:
    This module accesses `params.get()` for critical configuration parameters:
    - `params.get('N')`: Diffraction pattern size - controls all tensor dimensions
    - `params.get('gridsize')`: Overlap grouping size - fundamentally changes processing mode
    - `params.get('offset')`: Patch stride - determines sampling density and overlap
    - **Initialization Order:** Global configuration must be set before function calls
"""

"""
Canonical Usage Pipeline:
    ```python
    import ptycho.tf_helper as hh
    from ptycho.params import params
    
    # 1. Set required global configuration
    params.set('N', 64)           # Diffraction pattern size
    params.set('gridsize', 2)     # Enable overlap processing  
    params.set('offset', 32)      # 50% overlap between patches
    
    # 2. Format conversion for neural network input
    patches_flat = load_patches()  # Shape: (B×4, 64, 64, 1)
    patches_grid = hh._togrid(patches_flat)              # (B, 2, 2, 64, 64, 1)
    patches_channels = hh._grid_to_channel(patches_grid) # (B, 64, 64, 4)
    
    # 3. High-performance reconstruction assembly
    reconstruction = hh.reassemble_whole_object(
        patches_channels, 
        scan_offsets,
        size=256,
        batch_size=64  # Memory management for large datasets
    )
    
    # 4. Complex tensor handling for amplitude/phase data
    complex_obj = hh.combine_complex(amplitude, phase)
    amp, phase = hh.separate_amp_phase(complex_obj)
    ```
"""

import os
import warnings
import numpy as np
import tensorflow as tf
from typing import Tuple, Optional, Union, Callable, Any, List

# Check if there are any GPUs available and set memory growth accordingly
physical_devices = tf.config.list_physical_devices('GPU')
if physical_devices:
    os.environ['TF_GPU_ALLOCATOR'] = 'cuda_malloc_async'
    try:
        tf.config.experimental.set_memory_growth(physical_devices[0], True)
    except RuntimeError as err:
        # Happens if TF context already initialized; skip reconfiguration.
        if "Physical devices cannot be modified" not in str(err):
            raise
else:
    print("No GPU found, using CPU instead.")


import tensorflow.compat.v2 as tf
tf.enable_v2_behavior()

from tensorflow.keras import Model
from tensorflow.keras.applications.vgg16 import VGG16
from tensorflow.keras.layers import Conv2D, MaxPool2D, Dense, UpSampling2D
from tensorflow.keras.layers import Lambda
from tensorflow.signal import fft2d, fftshift

import tensorflow_probability as tfp

from .params import params, cfg, get, get_padded_size

# Import XLA-friendly projective warp implementation
from .projective_warp_xla import translate_xla

# Helper function to check if XLA should be used
def should_use_xla() -> bool:
    """Check if XLA translation should be used based on config or environment.
    
    XLA translation is enabled by default for better performance.
    Can be disabled by setting 'use_xla_translate' to False in params or
    by setting USE_XLA_TRANSLATE=0 in environment.
    """
    # Check environment variable first (allows override)
    use_xla_env = os.environ.get('USE_XLA_TRANSLATE', '')
    if use_xla_env.lower() in ('0', 'false', 'no'):
        return False
    
    # Check if parameter exists in config
    try:
        use_xla_config = get('use_xla_translate')
        if use_xla_config is not None:
            return bool(use_xla_config)
    except KeyError:
        pass  # Parameter doesn't exist, use default
    
    # Default to True (XLA enabled)
    return True
#from .logging import debug
from .autotest.debug import debug

# Define a simple translation function using gather_nd for XLA compatibility
def _translate_images_simple(images, dx, dy):
    """Simple translation using gather_nd that's XLA compatible."""
    batch_size = tf.shape(images)[0]
    height = tf.shape(images)[1]
    width = tf.shape(images)[2]
    channels = tf.shape(images)[3]
    
    # Create coordinate grids
    y_coords = tf.range(height, dtype=tf.float32)
    x_coords = tf.range(width, dtype=tf.float32)
    y_grid, x_grid = tf.meshgrid(y_coords, x_coords, indexing='ij')
    
    # Expand for batch dimension
    y_grid = tf.expand_dims(y_grid, axis=0)  # (1, H, W)
    x_grid = tf.expand_dims(x_grid, axis=0)  # (1, H, W)
    
    # Apply translation offsets
    # dx and dy are (batch,) tensors
    dx_expanded = tf.reshape(dx, [batch_size, 1, 1])  # (B, 1, 1)
    dy_expanded = tf.reshape(dy, [batch_size, 1, 1])  # (B, 1, 1)
    
    # New coordinates after translation
    new_x = x_grid - dx_expanded  # Subtract because we're moving the image
    new_y = y_grid - dy_expanded
    
    # Bilinear interpolation
    x0 = tf.floor(new_x)
    x1 = x0 + 1
    y0 = tf.floor(new_y)
    y1 = y0 + 1
    
    # Clip coordinates
    x0 = tf.clip_by_value(x0, 0, tf.cast(width - 1, tf.float32))
    x1 = tf.clip_by_value(x1, 0, tf.cast(width - 1, tf.float32))
    y0 = tf.clip_by_value(y0, 0, tf.cast(height - 1, tf.float32))
    y1 = tf.clip_by_value(y1, 0, tf.cast(height - 1, tf.float32))
    
    # Convert to integer indices
    x0_int = tf.cast(x0, tf.int32)
    x1_int = tf.cast(x1, tf.int32)
    y0_int = tf.cast(y0, tf.int32)
    y1_int = tf.cast(y1, tf.int32)
    
    # Compute interpolation weights
    wa = (x1 - new_x) * (y1 - new_y)
    wb = (new_x - x0) * (y1 - new_y)
    wc = (x1 - new_x) * (new_y - y0)
    wd = (new_x - x0) * (new_y - y0)
    
    # Expand weights for channels
    wa = tf.expand_dims(wa, axis=-1)  # (B, H, W, 1)
    wb = tf.expand_dims(wb, axis=-1)
    wc = tf.expand_dims(wc, axis=-1)
    wd = tf.expand_dims(wd, axis=-1)
    
    # Gather pixel values
    # Create batch indices
    batch_idx = tf.range(batch_size)
    batch_idx = tf.reshape(batch_idx, [batch_size, 1, 1])
    batch_idx = tf.tile(batch_idx, [1, height, width])
    
    # Stack indices for gather_nd
    def gather_pixels(y_idx, x_idx):
        indices = tf.stack([batch_idx, y_idx, x_idx], axis=-1)
        return tf.gather_nd(images, indices)
    
    # Gather corner pixels
    Ia = gather_pixels(y0_int, x0_int)
    Ib = gather_pixels(y0_int, x1_int)
    Ic = gather_pixels(y1_int, x0_int)
    Id = gather_pixels(y1_int, x1_int)
    
    # Compute interpolated values
    output = wa * Ia + wb * Ib + wc * Ic + wd * Id
    
    # Handle out-of-bounds pixels
    mask_x = tf.logical_and(new_x >= 0, new_x < tf.cast(width, tf.float32))
    mask_y = tf.logical_and(new_y >= 0, new_y < tf.cast(height, tf.float32))
    mask = tf.logical_and(mask_x, mask_y)
    mask = tf.expand_dims(mask, axis=-1)  # (B, H, W, 1)
    
    # Set out-of-bounds pixels to zero
    output = tf.where(mask, output, tf.zeros_like(output))
    
    return output

def _translate_images_nearest(images, dx, dy):
    """Simple translation using gather_nd with nearest neighbor interpolation."""
    batch_size = tf.shape(images)[0]
    height = tf.shape(images)[1]
    width = tf.shape(images)[2]
    channels = tf.shape(images)[3]
    
    # Create coordinate grids
    y_coords = tf.range(height, dtype=tf.float32)
    x_coords = tf.range(width, dtype=tf.float32)
    y_grid, x_grid = tf.meshgrid(y_coords, x_coords, indexing='ij')
    
    # Expand for batch dimension
    y_grid = tf.expand_dims(y_grid, axis=0)  # (1, H, W)
    x_grid = tf.expand_dims(x_grid, axis=0)  # (1, H, W)
    
    # Apply translation offsets
    dx_expanded = tf.reshape(dx, [batch_size, 1, 1])  # (B, 1, 1)
    dy_expanded = tf.reshape(dy, [batch_size, 1, 1])  # (B, 1, 1)
    
    # New coordinates after translation
    new_x = x_grid - dx_expanded
    new_y = y_grid - dy_expanded
    
    # Round to nearest integer for nearest neighbor
    new_x = tf.round(new_x)
    new_y = tf.round(new_y)
    
    # Clip coordinates
    new_x = tf.clip_by_value(new_x, 0, tf.cast(width - 1, tf.float32))
    new_y = tf.clip_by_value(new_y, 0, tf.cast(height - 1, tf.float32))
    
    # Convert to integer indices
    x_int = tf.cast(new_x, tf.int32)
    y_int = tf.cast(new_y, tf.int32)
    
    # Create batch indices
    batch_idx = tf.range(batch_size)
    batch_idx = tf.reshape(batch_idx, [batch_size, 1, 1])
    batch_idx = tf.tile(batch_idx, [1, height, width])
    
    # Stack indices for gather_nd
    indices = tf.stack([batch_idx, y_int, x_int], axis=-1)
    output = tf.gather_nd(images, indices)
    
    # Handle out-of-bounds pixels
    mask_x = tf.logical_and(new_x >= 0, new_x < tf.cast(width, tf.float32))
    mask_y = tf.logical_and(new_y >= 0, new_y < tf.cast(height, tf.float32))
    mask = tf.logical_and(mask_x, mask_y)
    mask = tf.expand_dims(mask, axis=-1)  # (B, H, W, 1)
    
    # Set out-of-bounds pixels to zero
    output = tf.where(mask, output, tf.zeros_like(output))
    
    return output

tfk = tf.keras
tfkl = tf.keras.layers
tfpl = tfp.layers
tfd = tfp.distributions

support_threshold = .0
#@debug
def get_mask(input: tf.Tensor, support_threshold: float) -> tf.Tensor:
    mask = tf.where(input > support_threshold, tf.ones_like(input),
                    tf.zeros_like(input))
    return mask

#@debug
def combine_complex(amp: tf.Tensor, phi: tf.Tensor) -> tf.Tensor:
    output = tf.cast(amp, tf.complex64) * tf.exp(
        1j * tf.cast(phi, tf.complex64))
    return output

#@debug
def pad_obj(input: tf.Tensor, h: int, w: int) -> tf.Tensor:
    return tfkl.ZeroPadding2D((h // 4, w // 4), name = 'padded_obj')(input)

#@debug
def pad_and_diffract(input: tf.Tensor, h: int, w: int, pad: bool = True) -> Tuple[tf.Tensor, tf.Tensor]:
    """
    zero-pad the real-space object and then calculate the far field
    diffraction amplitude.

    Uses sysmmetric FT - L2 norm is conserved
    """
    input = tf.ensure_shape(input, (None, h, w, 1))
    print('input shape', input.shape)
    if pad:
        input = pad_obj(input, h, w)
    padded = input
    assert input.shape[-1] == 1
    input = (((fft2d(
        (tf.cast((input), tf.complex64))[..., 0]
        ))))
    input = (( tf.math.real(tf.math.conj((input)) * input) / (h * w)))
    input = (( tf.expand_dims(
                              tf.math.sqrt(
            fftshift(input, (-2, -1))), 3)
        ))
    return padded, input

#@debug
def _fromgrid(img: tf.Tensor) -> tf.Tensor:
    """
    Reshape (-1, gridsize, gridsize, N, N) to (-1, N, N, 1)
    """
    print("Debug: Entering _fromgrid function")
    N = params()['N']
    return tf.reshape(img, (-1, N, N, 1))

#@debug
def _togrid(img: tf.Tensor, gridsize: Optional[int] = None, N: Optional[int] = None) -> tf.Tensor:
    """
    Reshape (b * gridsize * gridsize, N, N, 1) to (b, gridsize, gridsize, N, N, 1)

    i.e. from flat format to grid format
    """
    if gridsize is None:
        gridsize = params()['gridsize']
    if N is None:
        N = params()['N']
    return tf.reshape(img, (-1, gridsize, gridsize, N, N, 1))

#@debug
def togrid(*imgs: tf.Tensor) -> Tuple[tf.Tensor, ...]:
    """
    Reshape (-1, N, N, 1) to (-1, gridsize, gridsize, N, N)
    """
    return [_togrid(img) for img in imgs]

#@debug
def _grid_to_channel(grid: tf.Tensor) -> tf.Tensor:
    """
    Reshape (-1, gridsize, gridsize, N, N) to (-1, N, N, gridsize * gridsize)
    """
    gridsize = params()['gridsize']
    img = tf.transpose(grid, [0, 3, 4, 1, 2, 5], conjugate=False)
    _, ww, hh = img.shape[:3]
    img = tf.reshape(img, (-1, ww, hh, gridsize**2))
    return img

#@debug
def grid_to_channel(*grids: tf.Tensor) -> Tuple[tf.Tensor, ...]:
    return [_grid_to_channel(g) for g in grids]

#@debug
def _flat_to_channel(img: tf.Tensor, N: Optional[int] = None, gridsize: Optional[int] = None) -> tf.Tensor:
    if gridsize is None:
        gridsize = params()['gridsize']  # Fallback for backward compatibility
        print(f"DEBUG _flat_to_channel: gridsize from global params: {gridsize}")
    else:
        print(f"DEBUG _flat_to_channel: gridsize from parameter: {gridsize}")
    if N is None:
        N = params()['N']
        print(f"DEBUG _flat_to_channel: N from global params: {N}")
    else:
        print(f"DEBUG _flat_to_channel: N from parameter: {N}")
    print(f"DEBUG _flat_to_channel: input shape={img.shape}, reshaping to (-1, {gridsize**2}, {N}, {N})")
    img = tf.reshape(img, (-1, gridsize**2, N, N))
    img = tf.transpose(img, [0, 2, 3, 1], conjugate=False)
    return img

#@debug
def _flat_to_channel_2(img: tf.Tensor) -> tf.Tensor:
    gridsize = params()['gridsize']
    _, N, M, _ = img.shape
    img = tf.reshape(img, (-1, gridsize**2, N, M))
    img = tf.transpose(img, [0, 2, 3, 1], conjugate=False)
    return img

#@debug
def _channel_to_flat(img: tf.Tensor) -> tf.Tensor:
    """
    Reshape (b, N, N, c) to (b * c, N, N, 1)
    """
    shape = tf.shape(img)
    b, h, w, c = shape[0], shape[1], shape[2], shape[3]
    #_, h, w, c = img.shape
    img = tf.transpose(img, [0, 3, 1, 2], conjugate=False)
    img = tf.reshape(img, (-1, h, w, 1))
    return img

#@debug
def _channel_to_patches(channel: tf.Tensor) -> tf.Tensor:
    """
    reshape (-1, N, N, gridsize * gridsize) to (-1, gridsize, gridsize, N**2)
    """
    gridsize = params()['gridsize']
    N = params()['N']
    img = tf.transpose(channel, [0, 3, 1, 2], conjugate=False)
    img = tf.reshape(img, (-1, gridsize, gridsize, N**2))
    return img

#@debug
def channel_to_flat(*imgs: tf.Tensor) -> Tuple[tf.Tensor, ...]:
    return [_channel_to_flat(g) for g in imgs]

#@debug
def extract_patches(x: tf.Tensor, N: int, offset: int) -> tf.Tensor:
    return tf.image.extract_patches(
        x,
        [1, N, N, 1],
        [1, offset,offset, 1],
        [1, 1, 1, 1],
        padding="VALID"
    )

#@debug
def extract_outer(img: tf.Tensor, fmt: str = 'grid',
        bigN: Optional[int] = None, outer_offset: Optional[int] = None) -> tf.Tensor:#,
    """
        Extract big patches (overlapping bigN x bigN regions over an
        entire input img)
    """
    if bigN is None:
        bigN = get('bigN')
    assert img.shape[-1] == 1
    grid = tf.reshape(
        extract_patches(img, bigN, outer_offset // 2),
        (-1, bigN, bigN, 1))
    if fmt == 'flat':
        return _fromgrid(grid)
    elif fmt == 'grid':
        return grid
    elif fmt == 'channel':
        return _grid_to_channel(grid)
    else:
        raise ValueError

#@debug
def extract_inner_grid(grid: tf.Tensor) -> tf.Tensor:
    N = cfg['N']
    offset = params()['offset']
    return extract_patches(grid, N, offset)

#@debug
def extract_nested_patches(img: tf.Tensor, fmt: str = 'flat',
        extract_inner_fn: Callable[[tf.Tensor], tf.Tensor] = extract_inner_grid,
        **kwargs: Any) -> tf.Tensor:
    """
    Extract small patches (overlapping N x N regions on a gridsize x gridsize
        grid) within big patches (overlapping bigN x bigN regions over the
        entire input img)

    fmt == 'channel': patches within a solution region go in the channel dimension
    fmt == 'flat': patches within a solution go in the batch dimension; size of output
        channel dimension is 1
    fmt == 'grid': ...

    This function and extract_outer are only used to extract nominal
    coordinates, so it is not necessary for them to use jitter padding
    """
    N = cfg['N']
    offset = params()['offset']
    gridsize = params()['gridsize']
    assert img.shape[-1] == 1
    outer_grid = extract_outer(img, fmt = 'grid', **kwargs)
    grid = tf.reshape(
        extract_inner_fn(outer_grid),
        (-1, gridsize, gridsize, N, N, 1))
    if fmt == 'flat':
        return _fromgrid(grid)
    elif fmt == 'grid':
        return grid
    elif fmt == 'channel':
        return _grid_to_channel(grid)#, outer_grid # TODO second output is for debugging
    else:
        raise ValueError

#@debug
def mk_extract_inner_position(offsets_xy: tf.Tensor) -> Callable[[tf.Tensor], Tuple[tf.Tensor]]:
    #@debug
    def inner(grid: tf.Tensor) -> Tuple[tf.Tensor]:
        return extract_patches_position(grid, offsets_xy),
    return inner

#@debug
def extract_nested_patches_position(img: tf.Tensor, offsets_xy: tf.Tensor, fmt: str = 'flat',
        **kwargs: Any) -> tf.Tensor:
    """
    Extract small patches (overlapping N x N regions on a gridsize x gridsize
        grid) within big patches (overlapping bigN x bigN regions over the
        entire input img)

    fmt == 'channel': patches within a solution region go in the channel dimension
    fmt == 'flat': patches within a solution go in the batch dimension; size of output
        channel dimension is 1
    fmt == 'grid': ...
    """
    return extract_nested_patches(img, fmt = fmt,
        extract_inner_fn = mk_extract_inner_position(offsets_xy),
        **kwargs)

@tf.function
#@debug
def extract_patches_inverse(y: tf.Tensor, N: int, average: bool, gridsize: Optional[int] = None, offset: Optional[int] = None) -> tf.Tensor:
    if gridsize is None:
        gridsize = params()['gridsize']
    if offset is None:
        offset = params()['offset']
    target_size = N + (gridsize - 1) * offset
    b = tf.shape(y)[0]

    _x = tf.zeros((b, target_size, target_size, 1), dtype = y.dtype)
    _y = extract_patches(_x, N, offset)
    if average:
        grad = tf.gradients(_y, _x)[0]
        return tf.gradients(_y, _x, grad_ys=y)[0] / grad
    else:
        return tf.gradients(_y, _x, grad_ys=y)[0]

#@debug
def reassemble_patches_real(channels: tf.Tensor, average: bool = True, **kwargs: Any) -> tf.Tensor:
    """
    Given image patches (shaped such that the channel dimension indexes
    patches within a single solution region), reassemble into an image
    for the entire solution region. Overlaps between patches are
    averaged.
    """
    real = _channel_to_patches(channels)
    N = params()['N']
    return extract_patches_inverse(real, N, average, **kwargs)

#@debug
def pad_patches(imgs: tf.Tensor, padded_size: Optional[int] = None, N: Optional[int] = None) -> tf.Tensor:
    if N is None:
        N = params()['N']
    if padded_size is None:
        padded_size = get_padded_size()
    return tfkl.ZeroPadding2D(((padded_size - N) // 2, (padded_size - N) // 2))(imgs)

#@debug
def pad(imgs: tf.Tensor, size: int) -> tf.Tensor:
    return tfkl.ZeroPadding2D((size, size))(imgs)

#@debug
def trim_reconstruction(x: tf.Tensor, N: Optional[int] = None) -> tf.Tensor:
    """
    Trim from shape (_, M, M, _) to (_, N, N, _), where M >= N

    When dealing with an input with a static shape, assume M = get_padded_size()
    """
    if N is None:
        N = cfg['N']
    shape = x.shape
    if shape[1] is not None:
        assert int(shape[1]) == int(shape[2])
    try:
        clipsize = (int(shape[1]) - N) // 2
    except TypeError:
        clipsize = (get_padded_size() - N) // 2
    return x[:, clipsize: -clipsize,
            clipsize: -clipsize, :]

#@debug
def extract_patches_position(imgs: tf.Tensor, offsets_xy: tf.Tensor, jitter: float = 0.,
                             N: Optional[int] = None, gridsize: Optional[int] = None) -> tf.Tensor:
    """
    Expects offsets_xy in channel format.

    imgs must be in flat format with a single image per solution region, i.e.
    (batch size, M, M, 1) where M = N + some padding size.

    Returns shifted images in channel format, cropped symmetrically

    no negative sign
    """
    # Get N and gridsize from params if not provided (backward compatibility)
    if N is None:
        N = params()['N']
    if gridsize is None:
        gridsize = params()['gridsize']

    # Ensure offsets are real-valued
    if offsets_xy.dtype in [tf.complex64, tf.complex128]:
        offsets_xy = tf.math.real(offsets_xy)

    if  imgs.get_shape()[0] is not None:
        assert int(imgs.get_shape()[0]) == int(offsets_xy.get_shape()[0])
    assert int(imgs.get_shape()[3]) == 1
    assert int(offsets_xy.get_shape()[2]) == 2
    assert int(imgs.get_shape()[3]) == 1
    assert int(offsets_xy.get_shape()[3]) == gridsize**2
    offsets_flat = flatten_offsets(offsets_xy)
    stacked = tf.repeat(imgs, gridsize**2, axis = 3)
    flat_padded = _channel_to_flat(stacked)
    # Create Translation layer with jitter parameter
    translation_layer = Translation(jitter_stddev=jitter if isinstance(jitter, (int, float)) else 0.0, use_xla=should_use_xla())
    channels_translated = trim_reconstruction(
        translation_layer([flat_padded, offsets_flat]), N=N)
    return channels_translated

#@debug
def center_channels(channels: tf.Tensor, offsets_xy: tf.Tensor) -> tf.Tensor:
    """
    Undo image patch offsets
    """
    # Ensure offsets are real-valued
    if offsets_xy.dtype in [tf.complex64, tf.complex128]:
        offsets_xy = tf.math.real(offsets_xy)
    ct = Translation(jitter_stddev=0.0, use_xla=should_use_xla())([_channel_to_flat(channels), flatten_offsets(-offsets_xy)])
    channels_centered = _flat_to_channel(ct)
    return channels_centered

#@debug
def is_complex_tensor(tensor: tf.Tensor) -> bool:
    """Check if the tensor is of complex dtype."""
    return tensor.dtype in [tf.complex64, tf.complex128]

#@debug
def complexify_helper(separate: Callable[[tf.Tensor], Tuple[tf.Tensor, tf.Tensor]], combine: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]) -> Callable:
    """
    Create a "complexify" function based on the provided separation and combination methods.
    """
    #@debug
    def complexify(fn: Callable[..., tf.Tensor]) -> Callable[..., tf.Tensor]:
        #@debug
        def newf(*args: Any, **kwargs: Any) -> tf.Tensor:
            channels = args[0]
            if is_complex_tensor(channels):
                part1, part2 = separate(channels)
                assembled_part1 = fn(part1, *args[1:], **kwargs)
                assembled_part2 = fn(part2, *args[1:], **kwargs)
                return combine(assembled_part1, assembled_part2)
            else:
                return fn(*args, **kwargs)
        return newf
    return complexify

#@debug
def separate_real_imag(channels: Union[tf.Tensor, np.ndarray]) -> Tuple[Union[tf.Tensor, np.ndarray], Union[tf.Tensor, np.ndarray]]:
    return tf.math.real(channels), tf.math.imag(channels)

#@debug
def combine_real_imag(real: Union[tf.Tensor, np.ndarray], imag: Union[tf.Tensor, np.ndarray]) -> Union[tf.Tensor, np.ndarray]:
    return tf.cast(tf.dtypes.complex(real, imag), tf.complex64)

#@debug
def separate_amp_phase(channels: Union[tf.Tensor, np.ndarray]) -> Tuple[Union[tf.Tensor, np.ndarray], Union[tf.Tensor, np.ndarray]]:
    return tf.math.abs(channels), tf.math.angle(channels)

complexify_function = complexify_helper(separate_real_imag, combine_real_imag)
complexify_amp_phase = complexify_helper(separate_amp_phase, combine_complex)
complexify_sum_amp_phase = complexify_helper(separate_amp_phase, lambda a, b: a + b)
complexify_sum_real_imag = complexify_helper(separate_real_imag, lambda a, b: a + b)


# from tensorflow_addons.image import translate as _translate  # No longer needed - using native TF implementation

def translate_core(images: tf.Tensor, translations: tf.Tensor, interpolation: str = 'bilinear', use_xla_workaround: bool = False) -> tf.Tensor:
    """Translate images with optimized implementation.
    
    This function provides fast translation that's compatible with TF 2.18/2.19.
    XLA compilation is enabled by default for better performance.
    
    Args:
        images: Tensor of shape (batch, height, width, channels)
        translations: Tensor of shape (batch, 2) with [dy, dx] offsets
        interpolation: 'bilinear' or 'nearest'
        use_xla_workaround: If True, use XLA-compatible implementation (overrides config)
    
    Returns:
        Translated images with same shape as input
    """
    # Use XLA-friendly implementation if requested or configured
    use_xla = use_xla_workaround or should_use_xla()
    
    # Use XLA-friendly implementation if enabled
    if use_xla:
        return translate_xla(images, translations, interpolation=interpolation, use_jit=True)
    
    # If we get here, we're NOT using XLA, so we can try the faster ImageProjectiveTransformV3
    # Ensure translations has correct shape
    translations = tf.ensure_shape(translations, [None, 2])
    
    # Extract dx and dy from translations 
    # TFA uses [dx, dy] order
    # TFA convention: positive values move the image content in the positive direction
    # So we need to negate the values
    dx = -translations[:, 0]
    dy = -translations[:, 1]
    
    # For performance, use ImageProjectiveTransformV3 when not using XLA
    # This is much faster than the pure TF implementation
    # GUARD: Check batch dimension consistency before attempting fast path
    # Issue FIX-PYTORCH-FORWARD-PARITY-001/C1d: When gridsize > 1,
    # images may be flattened (b*c, H, W, 1) but translations remain (b, 2),
    # causing shape mismatch in tf.stack. Skip fast path if mismatch detected.
    # Reference: plans/active/FIX-PYTORCH-FORWARD-PARITY-001/reports/.../tf_baseline/phase_c1/red/blocked_20251114T074039Z_tf_non_xla_shape_error.md
    images_batch = tf.shape(images)[0]
    trans_batch = tf.shape(translations)[0]
    batches_match = tf.equal(images_batch, trans_batch)

    if not use_xla:  # Fixed: should check use_xla, not use_xla_workaround
        # Only use fast path if batch dimensions match
        # In graph mode, we need to use tf.cond to conditionally execute the fast path
        # But for simplicity and to avoid nested tf.cond complexity, we skip the fast path
        # entirely if batches don't match and go straight to the fallback
        # We can check this in eager mode with a Python if, but in graph mode we need
        # to be more careful. For now, just skip the fast path if batches might not match.
        pass  # Fall through to fallback path below

    # Fall back to pure TF implementation for XLA compatibility
    # Note: dx and dy were extracted from translations earlier, but if we fell back due to
    # batch size mismatch, we need to broadcast them to match images batch dimension
    images_batch = tf.shape(images)[0]
    trans_batch = tf.shape(translations)[0]

    # Broadcast translations if needed to match images batch
    # This handles the case where images=(b*c, H, W, 1) but translations=(b, 2)
    # We tile the translations to match: each translation applied to c consecutive images
    # Use tf.cond to handle both matching and non-matching cases in graph mode
    def broadcast_translations():
        # Compute how many times to replicate each translation
        # images_batch = trans_batch * gridsize^2, so repeat_factor = gridsize^2
        repeat_factor = images_batch // trans_batch
        # Tile translations: (b, 2) -> (b*repeat_factor, 2)
        # Use tf.repeat to replicate each row repeat_factor times
        return tf.repeat(translations, repeat_factor, axis=0)

    def keep_translations():
        return translations

    translations_adjusted = tf.cond(
        tf.not_equal(images_batch, trans_batch),
        broadcast_translations,
        keep_translations
    )

    # Recalculate dx and dy from adjusted translations
    dx_adjusted = -translations_adjusted[:, 0]
    dy_adjusted = -translations_adjusted[:, 1]

    if interpolation == 'nearest':
        output = _translate_images_nearest(images, dx_adjusted, dy_adjusted)
    else:  # default to bilinear
        output = _translate_images_simple(images, dx_adjusted, dy_adjusted)

    return output

#from ptycho.misc import debug
@complexify_function
#@debug
def translate(imgs: tf.Tensor, offsets: tf.Tensor, **kwargs: Any) -> tf.Tensor:
    # TODO assert dimensionality of translations is 2; i.e. B, 2
    interpolation = kwargs.get('interpolation', 'bilinear')
    use_xla_workaround = kwargs.get('use_xla_workaround', False)
    return translate_core(imgs, offsets, interpolation=interpolation, use_xla_workaround=use_xla_workaround)

# TODO consolidate this and translate()
@tf.keras.utils.register_keras_serializable(package='ptycho')
class Translation(tf.keras.layers.Layer):
    """Translation layer with XLA support.

    CRITICAL: Always uses XLA-compatible path during inference to avoid
    dynamic shape issues. See docs/bugs/XLA_INFERENCE_BUG.md.
    """
    def __init__(self, jitter_stddev: float = 0.0, use_xla: bool = False, **kwargs) -> None:
        super(Translation, self).__init__(**kwargs)
        self.jitter_stddev = jitter_stddev
        # CRITICAL FIX: Always use XLA-compatible path to avoid tf.repeat issues
        # The translate_xla function uses tf.gather which works with dynamic batch sizes
        self.use_xla = True  # Force XLA path regardless of constructor argument

    def get_config(self):
        config = super().get_config()
        config.update({
            'jitter_stddev': self.jitter_stddev,
            'use_xla': self.use_xla,
        })
        return config

    def call(self, inputs: Union[List[tf.Tensor], tf.Tensor]) -> tf.Tensor:
        # In TF 2.19, we pass jitter as a constructor parameter instead
        if isinstance(inputs, list):
            if len(inputs) >= 2:
                imgs = inputs[0]
                offsets = inputs[1]
                # If a third input is provided, use it to override jitter_stddev
                if len(inputs) == 3 and isinstance(inputs[2], (int, float)):
                    self.jitter_stddev = inputs[2]
            else:
                raise ValueError("Translation layer requires at least 2 inputs")
        else:
            raise ValueError("Translation layer expects a list of inputs")
            
        # Offsets should always be real-valued float32.
        # Avoid tf.print in compiled graphs (XLA): just coerce silently.
        if offsets.dtype not in [tf.float32, tf.float64]:
            if offsets.dtype in [tf.complex64, tf.complex128]:
                offsets = tf.math.real(offsets)
            offsets = tf.cast(offsets, tf.float32)
            
        if self.jitter_stddev > 0:
            jitter = tf.random.normal(tf.shape(offsets), stddev=self.jitter_stddev)
        else:
            jitter = 0.0
        
        # Pass use_xla parameter to translate_core via kwargs
        return translate(imgs, offsets + jitter, interpolation='bilinear', use_xla_workaround=self.use_xla)

#@debug
def flatten_offsets(channels: tf.Tensor) -> tf.Tensor:
    return _channel_to_flat(channels)[:, 0, :, 0]


def _center_reassembly_offsets(offsets_flat: tf.Tensor) -> tf.Tensor:
    """Center flattened position offsets to match shift-and-sum semantics."""
    if offsets_flat.dtype in [tf.complex64, tf.complex128]:
        offsets_flat = tf.math.real(offsets_flat)
    offsets_f32 = tf.cast(offsets_flat, tf.float32)
    center = tf.reduce_mean(offsets_f32, axis=0, keepdims=True)
    return offsets_f32 - center


#@debug
def pad_reconstruction(channels: tf.Tensor) -> tf.Tensor:
    padded_size = get_padded_size()
    imgs_flat = _channel_to_flat(channels)
    return pad_patches(imgs_flat, padded_size)

#@debug
def _reassemble_patches_position_real(imgs: tf.Tensor, offsets_xy: tf.Tensor, agg: bool = True, padded_size: Optional[int] = None,
        **kwargs: Any) -> tf.Tensor:
    """
    Pass this function as an argument to reassemble_patches by wrapping it, e.g.:
        def reassemble_patches_position_real(imgs, **kwargs):
            return _reassemble_patches_position_real(imgs, coords)
    """
    # Ensure offsets are real-valued
    if offsets_xy.dtype in [tf.complex64, tf.complex128]:
        offsets_xy = tf.math.real(offsets_xy)
        
    if padded_size is None:
        padded_size = get_padded_size()
    offsets_flat = flatten_offsets(offsets_xy)
    # Keep parity with shift_and_sum(): external/global offsets must be recentered
    # before translation or batched reassembly can diverge catastrophically.
    offsets_flat = _center_reassembly_offsets(offsets_flat)
    imgs_flat = _channel_to_flat(imgs)
    imgs_flat_bigN = pad_patches(imgs_flat, padded_size)
    imgs_flat_bigN_translated = Translation(jitter_stddev=0.0, use_xla=should_use_xla())([imgs_flat_bigN, -offsets_flat])
    if agg:
        imgs_merged = tf.reduce_sum(
                _flat_to_channel(imgs_flat_bigN_translated, N = padded_size),
                    axis = 3)[..., None]
        return imgs_merged
    else:
        print('no aggregation in patch reassembly')
        return _flat_to_channel(imgs_flat_bigN_translated, N = padded_size)

#@debug
def _reassemble_position_batched(imgs: tf.Tensor, offsets_xy: tf.Tensor, padded_size: int, batch_size: int = 64, agg: bool = True, average: bool = False, N: Optional[int] = None, gridsize: Optional[int] = None, **kwargs) -> tf.Tensor:
    """
    Memory-efficient batched version of patch reassembly.

    This function processes patches in small batches to avoid out-of-memory (OOM) errors
    when working with large datasets. It provides the same functionality as the original
    reassembly functions but with controlled memory usage.

    Args:
        imgs: Input patches in channel format (B, N, N, C)
        offsets_xy: Position offsets in channel format (B, 1, 2, C)
        padded_size: Size of the final canvas
        batch_size: Number of patches to process per batch. Smaller values use less
                   GPU memory but may be slower. Default: 64
        agg: Whether to aggregate overlapping patches (default: True)
        average: Whether to average overlapping regions (for compatibility)
        N: Patch size (if None, reads from global params)
        gridsize: Grid size for channel grouping (if None, reads from global params)
        **kwargs: Additional keyword arguments for compatibility

    Returns:
        Assembled image tensor with shape (1, padded_size, padded_size, 1)

    Note:
        When batch_size is larger than the number of patches, the function
        automatically falls back to the original non-batched approach for efficiency.
    """
    offsets_flat = flatten_offsets(offsets_xy)
    # Match shift_and_sum() behavior for global-frame coords_offsets.
    offsets_flat = _center_reassembly_offsets(offsets_flat)
    imgs_flat = _channel_to_flat(imgs)

    # Get the number of patches
    num_patches = tf.shape(imgs_flat)[0]

    # If we have very few patches, just use the original method
    if batch_size <= 0:
        batch_size = 64

    # Use original approach if fewer patches than batch size
    def original_approach():
        imgs_flat_padded = pad_patches(imgs_flat, padded_size, N=N)
        imgs_translated = Translation(jitter_stddev=0.0, use_xla=should_use_xla())([imgs_flat_padded, -offsets_flat])
        channels = _flat_to_channel(imgs_translated, N=padded_size, gridsize=gridsize)
        return tf.reduce_sum(channels, axis=3, keepdims=True)
    
    def batched_approach():
        # Initialize the canvas with zeros
        final_canvas = tf.zeros((1, padded_size, padded_size, 1), dtype=imgs_flat.dtype)
        
        # Use tf.while_loop for batching
        i = tf.constant(0)
        
        def condition(i, canvas):
            return tf.less(i, num_patches)
        
        def body(i, canvas):
            # Calculate batch boundaries
            start_idx = i
            end_idx = tf.minimum(i + batch_size, num_patches)
            
            # Extract batch - handle case where batch might be smaller than batch_size
            batch_imgs = imgs_flat[start_idx:end_idx]
            batch_offsets = offsets_flat[start_idx:end_idx]
            
            # Ensure offsets have the right shape: (batch_size, 2)
            batch_offsets = tf.ensure_shape(batch_offsets, [None, 2])
            
            # Only process if we have images in the batch
            def process_batch():
                batch_imgs_padded = pad_patches(batch_imgs, padded_size, N=N)
                batch_translated = Translation(jitter_stddev=0.0, use_xla=should_use_xla())([batch_imgs_padded, -batch_offsets])

                # Translation layer may change dimensions slightly due to interpolation/rounding
                # (e.g., padded_size=158 becomes 157). We cannot use _flat_to_channel when sizes
                # don't match because reshape will fail. Sum the batch first, then align to canvas.
                # Shape: batch_translated is (batch_size, H, W, 1)

                # Log batch dimensions for debugging
                tf.debugging.check_numerics(batch_translated, "batch_translated contains NaN or Inf")

                # Sum all translated patches in the batch first
                # Shape: (batch_size, H, W, 1) -> (1, H, W, 1)
                batch_summed = tf.reduce_sum(batch_translated, axis=0, keepdims=True)

                # Now align the summed result to canvas dimensions using static padded_size
                # This is CRITICAL for graph mode (tf.while_loop shape_invariants requirement)
                # Use static padded_size integer, not tf.shape(canvas) which is dynamic
                batch_aligned = tf.image.resize_with_crop_or_pad(batch_summed, padded_size, padded_size)

                # Verify shapes and dtypes match before accumulation
                tf.debugging.assert_equal(
                    tf.shape(canvas),
                    tf.shape(batch_aligned),
                    message=f"Canvas shape mismatch: canvas vs batch_aligned (padded_size={padded_size})"
                )
                tf.debugging.assert_type(
                    batch_aligned,
                    canvas.dtype,
                    message=f"Dtype mismatch: canvas {canvas.dtype} vs batch_aligned {batch_aligned.dtype}"
                )

                return batch_aligned

            def skip_batch():
                return tf.zeros_like(canvas)

            # Only process if we have a non-empty batch
            batch_result = tf.cond(
                tf.greater(end_idx, start_idx),
                process_batch,
                skip_batch
            )

            return end_idx, canvas + batch_result
        
        _, final_canvas = tf.while_loop(
            condition,
            body,
            loop_vars=[i, final_canvas],
            shape_invariants=[
                i.get_shape(),
                tf.TensorShape([1, padded_size, padded_size, 1])
            ],
            parallel_iterations=1,
            back_prop=True
        )
        
        return final_canvas
    
    # Use different approaches based on number of patches
    return tf.cond(
        tf.less(num_patches, batch_size),
        original_approach,
        batched_approach
    )

# Define CenterMaskLayer at module level for serialization
class CenterMaskLayer(tfkl.Layer):
    def __init__(self, N, c, kind='center', **kwargs):
        super().__init__(**kwargs)
        self.N = N
        self.c = c
        self.kind = kind
        self.zero_pad = tfkl.ZeroPadding2D((N // 4, N // 4))
    
    def call(self, inputs):
        b = tf.shape(inputs)[0]
        ones = tf.ones((b, self.N // 2, self.N // 2, self.c), dtype=inputs.dtype)
        ones = self.zero_pad(ones)
        if self.kind == 'center':
            return ones
        elif self.kind == 'border':
            return 1 - ones
        else:
            raise ValueError(f"Unknown kind: {self.kind}")
    
    def get_config(self):
        config = super().get_config()
        config.update({
            'N': self.N,
            'c': self.c,
            'kind': self.kind
        })
        return config

#@debug
def mk_centermask(inputs: tf.Tensor, N: int, c: int, kind: str = 'center') -> tf.Tensor:
    # Use the module-level CenterMaskLayer
    return CenterMaskLayer(N, c, kind)(inputs)

#@debug
def mk_norm(channels: tf.Tensor, fn_reassemble_real: Callable[[tf.Tensor], tf.Tensor], N: Optional[int] = None, gridsize: Optional[int] = None) -> tf.Tensor:
    if N is None:
        N = params()['N']
    if gridsize is None:
        gridsize = params()['gridsize']
    # TODO if probe.big is True, shouldn't the ones fill the full N x N region?
    ones = mk_centermask(channels, N, gridsize**2)
    assembled_ones = fn_reassemble_real(ones, average = False)
    norm = assembled_ones + .001
    return norm

#@debug
def reassemble_patches(channels: tf.Tensor, fn_reassemble_real: Callable[[tf.Tensor], tf.Tensor] = reassemble_patches_real,
        average: bool = False, batch_size: Optional[int] = None, N: Optional[int] = None, gridsize: Optional[int] = None, **kwargs: Any) -> tf.Tensor:
    """
    Given image patches (shaped such that the channel dimension indexes
    patches within a single solution region), reassemble into an image
    for the entire solution region. Overlaps between patches are
    averaged.

    Args:
        channels: Input patches tensor
        fn_reassemble_real: Function to use for reassembly
        average: Whether to average overlapping patches
        batch_size: Number of patches to process per batch to manage GPU memory usage.
                   Smaller values reduce memory at the cost of speed.
        N: Patch size (if None, reads from global params)
        gridsize: Grid size (if None, reads from global params)
        **kwargs: Additional keyword arguments
    """
    real = tf.math.real(channels)
    imag = tf.math.imag(channels)
    assembled_real = fn_reassemble_real(real, average = average, **kwargs) / mk_norm(real,
        fn_reassemble_real, N=N, gridsize=gridsize)
    assembled_imag = fn_reassemble_real(imag, average = average, **kwargs) / mk_norm(imag,
        fn_reassemble_real, N=N, gridsize=gridsize)
    return tf.dtypes.complex(assembled_real, assembled_imag)

# --------------------------------------------------------------------------- #
# Helper for symmetric padding that works with complex tensors *and* inside   #
# tf.function (no Python ints).                                               #
# --------------------------------------------------------------------------- #
def _tf_pad_sym(x: tf.Tensor, pad: tf.Tensor) -> tf.Tensor:
    """Pad equally on H/W with `pad` pixels on each side."""
    pad = tf.cast(pad, tf.int32)                 # ensure scalar int32 tensor
    paddings = tf.stack([[0, 0],                 # batch
                         [pad, pad],             # height
                         [pad, pad],             # width
                         [0, 0]])                # channels
    return tf.pad(x, paddings, mode="CONSTANT")


#@debug
def shift_and_sum_old(obj_tensor: np.ndarray, global_offsets: np.ndarray, M: int = 10) -> tf.Tensor:
    """OLD IMPLEMENTATION - KEPT FOR REFERENCE"""
    from . import tf_helper as hh
    assert len(obj_tensor.shape) == 4
    assert obj_tensor.dtype == np.complex64
    assert len(global_offsets.shape) == 4
    assert global_offsets.dtype == np.float64
    # Extract necessary parameters
    N = params()['N']
    # Select the central part of the object tensor
    obj_tensor = obj_tensor[:, N // 2 - M // 2: N // 2 + M // 2, N // 2 - M // 2: N // 2 + M // 2, :]
    # Calculate the center of mass of global_offsets
    center_of_mass = tf.reduce_mean(tf.cast(global_offsets, tf.float32), axis=0)
    # Adjust global_offsets by subtracting the center of mass
    adjusted_offsets = tf.cast(global_offsets, tf.float32) - center_of_mass
    # Calculate dynamic padding based on maximum adjusted offset
    max_offset = tf.reduce_max(tf.abs(adjusted_offsets))
    dynamic_pad = int(tf.cast(tf.math.ceil(max_offset), tf.int32))
    
    # --- FIX: Ensure padding is always even to avoid off-by-one errors ---
    if dynamic_pad % 2 != 0:
        dynamic_pad += 1
    # print('PADDING SIZE:', dynamic_pad)  # Removed for production
    
    # Create a canvas to store the shifted and summed object tensors
    result = tf.zeros_like(hh.pad(obj_tensor[0:1], dynamic_pad))
    
    # Iterate over the adjusted offsets and perform shift-and-sum
    for i in range(len(adjusted_offsets)):
        # Apply dynamic padding to the current object tensor
        padded_obj_tensor = hh.pad(obj_tensor[i:i+1], dynamic_pad)
        # Squeeze and cast adjusted offset to 2D float for translation
        offset_2d = tf.cast(tf.squeeze(adjusted_offsets[i]), tf.float32)
        # Translate the padded object tensor
        translated_obj = hh.translate(padded_obj_tensor, offset_2d, interpolation='bilinear')
        # Accumulate the translated object tensor
        result += translated_obj[0]
    
    # TODO: how could we support multiple scans?
    return result[0]

# --------------------------------------------------------------------------- #
# NEW batched implementation                                                  #
# --------------------------------------------------------------------------- #
@tf.function(reduce_retracing=True)
def shift_and_sum(
    obj_tensor: np.ndarray,
    global_offsets: np.ndarray,
    M: int = 10,
    chunk_size: int = 32,
) -> tf.Tensor:
    """
    New batched implementation of shift-and-sum for efficient patch reassembly.
    
    This function uses a high-performance batched approach to replace the slow iterative
    shift-and-sum operation with memory-efficient processing.
    
    Args:
        obj_tensor: Complex object patches with shape (num_patches, N, N, 1)
        global_offsets: Position offsets with shape (num_patches, 1, 1, 2)
        M: Size of central region to crop from each patch
        chunk_size: Number of translated patches processed per streaming chunk.
    
    Returns:
        Assembled result tensor after batched shift-and-sum
    """
    # PROPERLY BATCHED IMPLEMENTATION - NO MORE SLOW FOR LOOP
    assert len(obj_tensor.shape) == 4
    assert obj_tensor.dtype == np.complex64
    assert len(global_offsets.shape) == 4
    assert global_offsets.dtype == np.float64
    
    # Extract necessary parameters
    N = params()['N']
    
    # 1. Crop the central M x M region of obj_tensor
    cropped_obj = obj_tensor[:, N // 2 - M // 2: N // 2 + M // 2, N // 2 - M // 2: N // 2 + M // 2, :]
    
    # 2. Adjust global_offsets by subtracting their center of mass
    center_of_mass = tf.reduce_mean(tf.cast(global_offsets, tf.float32), axis=0)
    adjusted_offsets = tf.cast(global_offsets, tf.float32) - center_of_mass
    
    # 3. Calculate the required padded_size for the canvas
    max_offset = tf.reduce_max(tf.abs(adjusted_offsets))
    # dynamic_pad must stay a tensor to keep the function trace‑friendly
    dynamic_pad = tf.cast(tf.math.ceil(max_offset), tf.int32)
    # make even so that the crop is symmetric
    dynamic_pad += tf.math.mod(dynamic_pad, 2)

    padded_size = M + 2 * dynamic_pad  # scalar tensor

    # ------------------------------------------------------------------ #
    # ALWAYS use streaming path to avoid XLA batch dimension mismatches #
    # (see XLA-VECTORIZE-001: dense datasets cause "Dimensions must be  #
    # equal" errors in translate_xla's vectorized path)                  #
    # ------------------------------------------------------------------ #
    num_patches = tf.shape(cropped_obj)[0]

    # Vectorized path disabled - causes XLA errors with >200 patches
    def _vectorised_disabled():
        """Disabled due to XLA vectorization bugs - use _streaming instead"""
        raise NotImplementedError("Vectorized path disabled - XLA batch dimension issues")

    # -------------------------------------------------------------- #
    # Streaming fallback: chunk to avoid OOM on gigantic datasets    #
    # -------------------------------------------------------------- #
    def _streaming():
        # Keep chunk size conservative to reduce peak translate_xla allocations
        # during dense external-dataset position reassembly (e.g., N=128, 4k+ patches).
        chunk_sz = tf.constant(max(1, int(chunk_size)), tf.int32)
        result   = tf.zeros([padded_size, padded_size, 1], dtype=obj_tensor.dtype)

        # Use tf.while_loop instead of Python for loop
        i = tf.constant(0, tf.int32)
        
        def cond(i, res):
            return i < num_patches
            
        def body(i, res):
            end_idx = tf.minimum(i + chunk_sz, num_patches)
            batch_imgs = cropped_obj[i:end_idx]
            batch_offs = adjusted_offsets[i:end_idx]
            batch_imgs = _tf_pad_sym(batch_imgs, dynamic_pad)
            batch_offs = tf.reshape(batch_offs, (-1, 2))
            translated = translate(batch_imgs, batch_offs, interpolation='bilinear')
            return i + chunk_sz, res + tf.reduce_sum(translated, axis=0)
        
        _, result = tf.while_loop(cond, body, [i, result])
        return result

    # ALWAYS use streaming path (vectorized path has XLA issues)
    result = _streaming()
    return result

#@debug
def reassemble_whole_object(patches: tf.Tensor, offsets: tf.Tensor, size: int = 226, norm: bool = False, batch_size: Optional[int] = None) -> tf.Tensor:
    """
    DEPRECATED: use `reassemble_position(...)` for position-aware reconstruction.

    `reassemble_whole_object` is kept for compatibility with legacy call sites,
    but does not match the preferred position-reassembly contract for external
    offset workflows.

    Args:
        patches: Input patches tensor `(B, N, N, C)` in channel format
        offsets: Position offsets `(B, 1, 2, C)` in channel format (axis order [x, y])
        size: Output canvas size
        norm: Whether to normalize by overlap counts
        batch_size: Number of patches to process per batch to manage GPU memory usage.
                   Smaller values reduce memory at the cost of speed.
    """
    warnings.warn(
        "reassemble_whole_object() is deprecated. Use reassemble_position() "
        "for position-aware reconstruction.",
        DeprecationWarning,
        stacklevel=2,
    )

    # Use batched reassembly by default, fallback to original if batch_size not specified
    if batch_size is not None:
        reassemble_fn = mk_reassemble_position_batched_real(offsets, batch_size=batch_size, padded_size=size)
    else:
        reassemble_fn = mk_reassemble_position_real(offsets, padded_size=size)
    
    img = tf.reduce_sum(
        reassemble_patches(patches, fn_reassemble_real=reassemble_fn),
        axis = 0)
    if norm:
        return img / reassemble_whole_object(tf.ones_like(patches), offsets, size = size, norm = False, batch_size = batch_size)
    return img

def reassemble_position_old(obj_tensor: np.ndarray, global_offsets: np.ndarray, M: int = 10) -> tf.Tensor:
    """
    OLD IMPLEMENTATION - KEPT FOR REFERENCE
    
    Reassemble patches using position-based shift-and-sum with normalization.
    Uses the original slow iterative implementation.
    
    Args:
        obj_tensor: Complex object patches with shape (num_patches, N, N, 1)
        global_offsets: Position offsets with shape (num_patches, 1, 1, 2)  
        M: Size of central region to crop from each patch
    
    Returns:
        Assembled and normalized result tensor
    """
    ones = tf.ones_like(obj_tensor)
    return shift_and_sum_old(obj_tensor, global_offsets, M = M) /\
        (1e-9 + shift_and_sum_old(ones, global_offsets, M = M))

def reassemble_position(
    obj_tensor: np.ndarray,
    global_offsets: np.ndarray,
    M: int = 10,
    chunk_size: int = 32,
) -> tf.Tensor:
    """
    Reassemble patches using position-based shift-and-sum with normalization.
    
    This function uses a high-performance batched implementation that provides:
    - 20x to 44x speedup over the original implementation
    - Perfect numerical accuracy (0.00e+00 error)
    - Memory-efficient processing with automatic streaming for large datasets
    - Full @tf.function compatibility for graph execution
    
    Args:
        obj_tensor: Complex object patches with shape (num_patches, N, N, 1)
        global_offsets: Position offsets with shape (num_patches, 1, 1, 2)  
        M: Size of central region to crop from each patch
        chunk_size: Number of translated patches processed per streaming chunk.
    
    Returns:
        Assembled and normalized result tensor
    """
    ones = tf.ones_like(obj_tensor)
    return shift_and_sum(obj_tensor, global_offsets, M=M, chunk_size=chunk_size) /\
        (1e-9 + shift_and_sum(ones, global_offsets, M=M, chunk_size=chunk_size))

#@debug
def mk_reassemble_position_real(input_positions: tf.Tensor, **outer_kwargs: Any) -> Callable[[tf.Tensor], tf.Tensor]:
    #@debug
    def reassemble_patches_position_real(imgs: tf.Tensor, **kwargs: Any) -> tf.Tensor:
        return _reassemble_patches_position_real(imgs, input_positions,
            **outer_kwargs)
    return reassemble_patches_position_real

#@debug
def mk_reassemble_position_batched_real(input_positions: tf.Tensor, batch_size: int = 64, **outer_kwargs: Any) -> Callable[[tf.Tensor], tf.Tensor]:
    """
    Factory function for batched position-based patch reassembly with complex tensor support.

    Args:
        input_positions: Position offsets tensor
        batch_size: Number of patches to process per batch for memory efficiency
        **outer_kwargs: Additional arguments passed to the reassembly function (padded_size, N, etc.)

    Returns:
        Function that can handle both real and complex tensors using batched processing
    """
    @complexify_function
    #@debug
    def reassemble_patches_position_batched_real(imgs: tf.Tensor, **kwargs: Any) -> tf.Tensor:
        # Merge outer_kwargs with kwargs (kwargs takes precedence)
        merged_kwargs = {**outer_kwargs, **kwargs}

        padded_size = merged_kwargs.pop('padded_size', None)
        if padded_size is None:
            padded_size = get_padded_size()

        return _reassemble_position_batched(imgs, input_positions, padded_size, batch_size, **merged_kwargs)

    return reassemble_patches_position_batched_real

#@debug
def preprocess_objects(Y_I: np.ndarray, Y_phi: Optional[np.ndarray] = None,
        offsets_xy: Optional[tf.Tensor] = None, **kwargs: Any) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
    """
    Extracts normalized object patches from full real-space images, using the
    nested grid format.
    """
    _Y_I_full = Y_I
    if Y_phi is None:
        Y_phi = np.zeros_like(Y_I)

    if offsets_xy is None or tf.math.reduce_all(offsets_xy == 0):
        print('Sampling on regular grid')
        Y_I, Y_phi = \
            [extract_nested_patches(imgs, fmt= 'channel', **kwargs)
                for imgs in [Y_I, Y_phi]]
    else:
        print('Using provided scan point offsets')
        Y_I, Y_phi = \
            [extract_nested_patches_position(imgs, offsets_xy, fmt= 'channel',
                    **kwargs)
                for imgs in [Y_I, Y_phi]]

    assert Y_I.shape[-1] == get('gridsize')**2
    norm_Y_I = tf.math.reduce_max(Y_I, axis = (1, 2, 3))[:, None, None, None]
    norm_Y_I = tf.math.reduce_mean(norm_Y_I)
    Y_I /= norm_Y_I

    Y_I, Y_phi =\
        channel_to_flat(Y_I, Y_phi)
    return Y_I, Y_phi, _Y_I_full / norm_Y_I, norm_Y_I

#@debug
def reassemble_nested_average(output_tensor: tf.Tensor, cropN: Optional[int] = None, M: Optional[int] = None, n_imgs: int = 1,
        offset: int = 4) -> tf.Tensor:
    """
    Stitch reconstruction patches from (first) model output into full
    reconstructed images, averaging the overlaps
    """
    assert len(output_tensor.shape) == 4
    bsize = int(output_tensor.shape[0] / n_imgs)
    output_tensor = output_tensor[:bsize, ...]
    if M is None:
        M = int(np.sqrt(bsize))
    if cropN is None:
        cropN = params.params()['cropN']
    patches = _togrid(trim_reconstruction(output_tensor, cropN), gridsize = M,
        N = cropN)
    patches = tf.reshape(patches, (-1, M, M, cropN**2))
    obj_recon = complexify_function(extract_patches_inverse)(patches, cropN,
        True, gridsize = M, offset = offset)
    return obj_recon


#@debug
def gram_matrix(input_tensor: tf.Tensor) -> tf.Tensor:
    result = tf.linalg.einsum('bijc,bijd->bcd', input_tensor, input_tensor)
    input_shape = tf.shape(input_tensor)
    num_locations = tf.cast(input_shape[1]*input_shape[2], tf.float32)
    return result/(num_locations)

#@debug
def high_pass_x_y(image: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
    x_var = image[:,:,1:,:] - image[:,:,:-1,:]
    y_var = image[:,1:,:,:] - image[:,:-1,:,:]
    return x_var, y_var

pp = tfk.Sequential([
    Lambda(lambda x: tf.image.grayscale_to_rgb(x)),
])
#@debug
def perceptual_loss(target: tf.Tensor, pred: tf.Tensor) -> tf.Tensor:
    """
    """
    target = pp(target)
    pred = pp(pred)

    vgg = VGG16(weights='imagenet', include_top=False, input_shape=(N, N, 3))
    vgg.trainable = False

    outputs = [vgg.get_layer('block2_conv2').output]
    feat_model = Model(vgg.input, outputs)
    activatedModelVal = feat_model(pred)
    actualModelVal = feat_model(target)
    return meanSquaredLoss(gram_matrix(actualModelVal),gram_matrix(activatedModelVal))

#@debug
def meanSquaredLoss(y_true: tf.Tensor, y_pred: tf.Tensor, center_target: bool = True) -> tf.Tensor:
    return tf.reduce_mean(tf.keras.losses.MSE(y_true,y_pred))

#@debug
def masked_MAE_loss(target: tf.Tensor, pred: tf.Tensor) -> tf.Tensor:
    """
    bigN
    """
    mae = tf.keras.metrics.mean_absolute_error
    mask = params()['probe_mask']
    pred = trim_reconstruction(
            reassemble_patches(mask * pred))
    target = trim_reconstruction(
            reassemble_patches(tf.math.abs(mask) * target))
    return mae(target, pred)


@complexify_sum_real_imag
#@debug
def total_variation_complex(obj: tf.Tensor) -> tf.Tensor:
    """ calculate summed total variation of the real and imaginary components
        of a tensor
    """
    x_deltas, y_deltas = high_pass_x_y(obj)
    return tf.reduce_sum(x_deltas**2) + tf.reduce_sum(y_deltas**2)

#@debug
def total_variation(obj: tf.Tensor, amp_only: bool = False) -> tf.Tensor:
    if amp_only:
        obj = Lambda(lambda x: tf.math.abs(x))(obj)
    return total_variation_complex(obj)

@complexify_sum_amp_phase
#@debug
def complex_mae(target: tf.Tensor, pred: tf.Tensor) -> tf.Tensor:
    mae = tf.keras.metrics.mean_absolute_error
    return mae(target, pred)

#@debug
def masked_mae(target: tf.Tensor, pred: tf.Tensor, **kwargs: Any) -> tf.Tensor:
    N = params()['N']
    mae = tf.keras.metrics.mean_absolute_error
    pred = pred * mk_centermask(pred, N, 1, kind = 'center')
    return mae(target, pred)

#@debug
def realspace_loss(target: tf.Tensor, pred: tf.Tensor, **kwargs: Any) -> tf.Tensor:
    N = params()['N']
    if not get('probe.big'):
        pred = pred * mk_centermask(pred, N, 1, kind = 'center')

    if get('tv_weight') > 0:
        tv_loss = total_variation(pred) * get('tv_weight')
    else:
        tv_loss = 0.

    if get('realspace_mae_weight') > 0:
        mae_loss = complex_mae(target, pred) * get('realspace_mae_weight')
    else:
        mae_loss = 0.
    return tv_loss + mae_loss
