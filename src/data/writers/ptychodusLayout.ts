/**
 * The Ptychodus product layout, shared by the writer in this folder and the reader in
 * src/data/readers/ptychodusProduct.ts.
 *
 * Source read: AdvancedPhotonSource/ptychodus, src/ptychodus/plugins/h5_product_file.py
 * (H5ProductFileIO) and src/ptychodus/plugins/npz_product_file.py (NPZProductFileIO) at commit
 * 155c0659c44e1ab426402973c305e10c1f6e5cac, with the geometry of src/ptychodus/api/object.py
 * (ObjectGeometry) at commit 7ee42ebb04e15f122dce37e9369998907bb027a0.
 *
 * HDF5: metadata are attributes of the root group, pixel sizes and the object centre are attributes
 * of the `probe` and `object` datasets, and everything else is a dataset in the root group.
 * NPZ: every value is an array, and the pixel sizes and centre carry a `probe_` or `object_` prefix.
 *
 * Geometry (ObjectGeometry.map_scan_point_to_object_point): a probe position (x_m, y_m) is the
 * centre of the probe, and lies at object-array pixel coordinate
 * x_px = (x_m − center_x_m) / pixel_width_m + width_px / 2, and likewise for y.
 */

/** Keys that both layouts name alike: root attributes in HDF5, 0-d arrays in NPZ. */
export const PRODUCT_METADATA_KEYS = {
  name: 'name',
  comments: 'comments',
  detectorDistance_m: 'detector_object_distance_m',
  probeEnergy_eV: 'probe_energy_eV',
  probePhotonCount: 'probe_photon_count',
  exposureTime_s: 'exposure_time_s',
  massAttenuation_m2_kg: 'mass_attenuation_m2_kg',
} as const;

/** Datasets (HDF5) or arrays (NPZ) with the same name in both layouts. */
export const PRODUCT_ARRAY_KEYS = {
  probe: 'probe',
  object: 'object',
  positionIndexes: 'probe_position_indexes',
  positionX_m: 'probe_position_x_m',
  positionY_m: 'probe_position_y_m',
  objectLayerSpacing_m: 'object_layer_spacing_m',
  lossEpochs: 'loss_epochs',
  lossValues: 'loss_values',
  /** Older Ptychodus versions stored the loss history under this name; the reader falls back to it. */
  legacyCosts: 'costs',
} as const;

/** Attributes of the HDF5 `probe` and `object` datasets. */
export const H5_GEOMETRY_ATTRIBUTES = {
  pixelWidth_m: 'pixel_width_m',
  pixelHeight_m: 'pixel_height_m',
  centerX_m: 'center_x_m',
  centerY_m: 'center_y_m',
} as const;

/** The NPZ arrays that hold what HDF5 stores as dataset attributes. */
export const NPZ_GEOMETRY_KEYS = {
  probePixelWidth_m: 'probe_pixel_width_m',
  probePixelHeight_m: 'probe_pixel_height_m',
  objectPixelWidth_m: 'object_pixel_width_m',
  objectPixelHeight_m: 'object_pixel_height_m',
  objectCenterX_m: 'object_center_x_m',
  objectCenterY_m: 'object_center_y_m',
} as const;

/**
 * Our own key, not part of the Ptychodus layout: 'pixel' when every length in the file is in
 * object pixels (pixel sizes 1) because the scan had no physical geometry, 'm' otherwise. A root
 * attribute in HDF5 and a 0-d string array in NPZ. Ptychodus ignores it; our reader assumes 'm'
 * when it is absent.
 */
export const LENGTH_UNIT_KEY = 'ptychoscope_length_unit';

export type ProductLengthUnit = 'm' | 'pixel';

/** A complex field stack, [count, height, width, 2] interleaved (re, im) float32. */
export interface ComplexStack {
  count: number;
  height: number;
  width: number;
  values: Float32Array;
}

/**
 * A reconstruction in the Ptychodus product's terms. Lengths named `_m` are in metres when
 * `lengthUnit` is 'm' and in object pixels when it is 'pixel'.
 */
export interface PtychodusProduct {
  name: string;
  comments: string;
  /** 0 when unknown. */
  detectorDistance_m: number;
  /** 0 when unknown. */
  probeEnergy_eV: number;
  probePhotonCount: number;
  exposureTime_s: number;
  massAttenuation_m2_kg: number;
  lengthUnit: ProductLengthUnit;

  /** Index of each probe position, [M]. */
  positionIndexes: Int32Array;
  /** Probe centre of each position, [M]. */
  positionX_m: Float64Array;
  positionY_m: Float64Array;

  /** Incoherent probe modes: count is the mode count K. */
  probe: ComplexStack;
  probePixelWidth_m: number;
  probePixelHeight_m: number;

  /** One object layer: count is 1. */
  object: ComplexStack;
  objectPixelWidth_m: number;
  objectPixelHeight_m: number;
  /** World position of the object array's centre (width/2, height/2 in pixel coordinates). */
  objectCenterX_m: number;
  objectCenterY_m: number;

  /** Iteration number of each loss value, [E]. */
  lossEpochs: Int32Array;
  /** Loss per iteration, [E]: our Fourier error. */
  lossValues: Float64Array;
}
