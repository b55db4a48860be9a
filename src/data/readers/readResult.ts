/**
 * The records that the scan readers in this folder return: a ScanDataset with the assumptions
 * made while converting it, or a request for the user to say which array contains what.
 */
import type { ScanDataset } from '../dataset';
import type { ZipArchive } from '../zip';
import type { StackLayout } from './stack';

/** The file layouts that the readers recognise. */
export type ScanFileFormat = 'tike-npz' | 'ptychopinn-npz' | 'cxi' | 'mapped-npz' | 'mapped-hdf5';

/** Quantity that a stored diffraction value measures: photon counts, or their square root. */
export type MeasurementDomain = 'counts' | 'amplitude';

export type NoticeTopic =
  | 'measurement-domain'
  | 'stack-layout'
  | 'zero-frequency'
  | 'positions'
  | 'unit-conversion'
  | 'skipped-entry'
  | 'probe'
  | 'detector-mask';

/** One assumption or conversion made while reading, for the UI to list beside the dataset. */
export interface ReadNotice {
  topic: NoticeTopic;
  /** 'warning' marks an assumption that may be wrong and that the user should check. */
  severity: 'info' | 'warning';
  /** A complete sentence for the user. */
  message: string;
}

/** The measurement domain assumed for the stored values, with the reason. */
export interface MeasurementDecision {
  assumed: MeasurementDomain;
  /** True when the caller forced the domain through an option instead of detecting it. */
  forced: boolean;
  reason: string;
  /**
   * True when the values were detected as amplitudes but their maximum is too large for
   * normalised amplitudes, so they may be scaled intensities. Absent means false.
   */
  doubtful?: boolean;
}

/**
 * Mapping from the dataset's intensities back to the stored stack, so that messages can give a
 * pixel's index in the file rather than in the dataset's reordered, shifted layout.
 */
export interface StackSource {
  /** Array key (.npz) or dataset path (HDF5) of the stack, as messages should name it. */
  name: string;
  /** Shape as stored, such as (M, N, N), (N, N, M) or (M, N, N, 1). */
  shape: number[];
  layout: StackLayout;
  /** Whether the reader applied an inverse fftshift, moving stored pixel (r, c) to ((r − ⌊N/2⌋) mod N, (c − ⌊N/2⌋) mod N). */
  shifted: boolean;
}

/**
 * Location of the zero spatial frequency (the direct beam). The detected location is the circular
 * centroid of the mean pattern, in the file's pixel grid, so it is meaningful for centred and
 * corner layouts alike.
 */
export interface ZeroFrequencyLocation {
  /** Detected row of the zero frequency in the file's patterns, in detector pixels. */
  detectedRow_px: number;
  /** Detected column of the zero frequency in the file's patterns, in detector pixels. */
  detectedColumn_px: number;
  /** Whether the reader applied an inverse fftshift to move it to [0, 0]. */
  shifted: boolean;
  /** Detected row after the conversion, in detector pixels: near 0 (or N) when the file matched. */
  datasetRow_px: number;
  /** Detected column after the conversion, in detector pixels. */
  datasetColumn_px: number;
}

/** The physical values a CXI reader used to convert translations in metres to object pixels. */
export interface CxiGeometry {
  energy_J: number;
  /** λ = h·c / E. */
  wavelength_m: number;
  /** Sample-to-detector distance. */
  distance_m: number;
  detectorPixelSizeX_m: number;
  detectorPixelSizeY_m: number;
  /** λ·z / (N·detectorPixelSizeX_m): the object pixel width. */
  objectPixelSizeX_m: number;
  /** λ·z / (N·detectorPixelSizeY_m): the object pixel height. */
  objectPixelSizeY_m: number;
}

/** A complex image such as PtychoPINN's `objectGuess`: [height, width, 2] interleaved (re, im). */
export interface ComplexImage {
  height: number;
  width: number;
  values: Float32Array;
}

/** A dataset read from a file, with everything the reader assumed on the way. */
export interface ReadResult {
  kind: 'dataset';
  format: ScanFileFormat;
  dataset: ScanDataset;
  notices: ReadNotice[];
  /** The object estimate stored beside the scan, such as PtychoPINN's `objectGuess`, or null. */
  objectGuess: ComplexImage | null;
  /** Null for formats whose values are counts by definition (tike, CXI). */
  measurement: MeasurementDecision | null;
  /** Null for formats stored with the zero frequency at [0, 0] by definition (tike). */
  zeroFrequency: ZeroFrequencyLocation | null;
  /** Set by the CXI reader. */
  geometry: CxiGeometry | null;
  /**
   * Usable detector pixels, [N, N] with 1 for a usable pixel, in the dataset's layout (zero
   * frequency at [0, 0]), or null when the file has no mask.
   */
  validPixels: Uint8Array | null;
  /** Origin of the intensities in the file. Absent for formats stored as the dataset is (tike). */
  stackSource?: StackSource;
}

/** Shape and dtype of one array in a file, for a dialog that maps arrays to roles. */
export interface ArraySummary {
  key: string;
  shape: number[];
  /** NumPy's dtype name, such as 'float32', or the dtype string the file declares when unsupported. */
  dtype: string;
  /** False when no reader can use the array (strings, objects, oversized or damaged members). */
  readable: boolean;
  /** Reason the array cannot be read, when `readable` is false. */
  problem?: string;
}

/**
 * Returned when a file's arrays match no known layout: the caller asks the user which array is
 * which and passes the choice to applyMapping together with `archive`.
 */
export interface MappingRequired {
  kind: 'mapping-required';
  fileName: string;
  /** A complete sentence saying why no layout matched. */
  reason: string;
  arrays: ArraySummary[];
  archive: ZipArchive;
}

/**
 * Returned for an HDF5 file without CXI's diffraction paths: `arrays` lists every dataset by its
 * path, and the caller passes the user's choice to applyHdf5Mapping together with `bytes`.
 */
export interface Hdf5MappingRequired extends Omit<MappingRequired, 'kind' | 'archive'> {
  kind: 'hdf5-mapping-required';
  /** The whole file, kept so that it can be opened again for the mapping. */
  bytes: Uint8Array;
}

export type ScanFileReadOutcome = ReadResult | MappingRequired | Hdf5MappingRequired;
