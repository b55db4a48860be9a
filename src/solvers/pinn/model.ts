/**
 * The PtychoPINN network (Hoidn, Mishra and Mehta, Scientific Reports 13, 22789, 2023): a
 * convolutional encoder and two decoders, one for the object amplitude and one for its phase.
 *
 * Input: centred normalised diffraction amplitudes [B, N, N, 1]. Encoder: three blocks of two
 * 3×3 convolutions with ReLU and a 2×2 max-pool (N → N/8). Each decoder: two blocks of two 3×3
 * convolutions with ReLU and a ×2 nearest-neighbour upsampling (N/8 → N/2), then one 3×3
 * convolution to a single channel. The decoders therefore predict the central N/2 × N/2 of the
 * object patch, which is zero-padded to N × N. Amplitude goes through a sigmoid and phase through
 * π·tanh, so |O| ≤ 1 and φ ∈ (−π, π).
 * NOTE: the modelled exit wave P·O is zero outside the central N/2 × N/2, so probe power outside
 * that square cannot be fitted. The bundled Siemens-star probe, cropped to N = 64, keeps 97.5 % of
 * its power inside (dataPrep.test.ts prints it); wider probes lose more.
 */
import * as tf from '@tensorflow/tfjs';

import { phaseActivation } from '../../engine/cpu/phaseActivationKernel';
import { upsampleNearest2x } from '../../engine/cpu/upsampleKernel';

export interface PinnModelOptions {
  /** Side N of the input patterns; a multiple of 8, at least 16. */
  patternSize: number;
  /**
   * Factor on every filter count. 1 gives 64, 128, 256 filters in the encoder and 128, 64 in each
   * decoder (about 2.25 M parameters at N = 64). Smaller values, such as 1/8, give fast test models.
   */
  filterScale?: number;
  /** Seed of the Glorot-uniform kernel initialisers, for reproducible training; unseeded when absent. */
  seed?: number;
}

/** Names of the model's two outputs, in output order. */
export const PINN_OUTPUT_NAMES = ['amplitude', 'phase'] as const;

const ENCODER_FILTERS = [64, 128, 256];
const DECODER_FILTERS = [128, 64];

/** Phase activation φ = π·tanh(x): a weightless layer, registered so that saved models load. */
export class PhaseActivation extends tf.layers.Layer {
  static readonly className = 'PtychoscopePhaseActivation';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    // On 'cpu' one kernel gives the same values as these two ops.
    if (tf.getBackend() === 'cpu' && x.dtype === 'float32') return phaseActivation(x);
    return tf.tidy(() => tf.mul(tf.tanh(x), Math.PI));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
}
tf.serialization.registerClass(PhaseActivation);

/**
 * Nearest-neighbour ×2 upsampling of [B, H, W, C]. On 'cpu' it runs one kernel
 * (engine/cpu/upsampleKernel.ts); other backends build it from concat and reshape. Both give the
 * same values and gradients.
 * NOTE: tf.layers.upSampling2d would do, but the 'cpu' backend's ResizeNearestNeighborGrad in
 * @tensorflow/tfjs-backend-cpu 4.22 returns wrong gradients when the batch has more than one image
 * (measured: errors of order 1 against the 2 × 2 block sums for shape [2, 4, 4, 1]), which stalls
 * training. model.test.ts checks this layer's gradient; switch back once that kernel is fixed.
 */
export class NearestUpsampling extends tf.layers.Layer {
  static readonly className = 'PtychoscopeNearestUpsampling';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    if (tf.getBackend() === 'cpu' && x.dtype === 'float32') return upsampleNearest2x(x);
    return upsampleByConcat(x);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const [batch, height, width, channels] = inputShape as tf.Shape;
    return [batch, height === null ? null : 2 * height, width === null ? null : 2 * width, channels];
  }
}
tf.serialization.registerClass(NearestUpsampling);

function upsampleByConcat(x: tf.Tensor4D): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  return tf.tidy(() => {
    // Repeat every row: [B, H, 1, W·C] twice along axis 2 gives [B, 2H, W, C] after reshaping.
    const rows = tf.reshape(x, [batch, height, 1, width * channels]);
    const tallRows = tf.reshape(tf.concat([rows, rows], 2), [batch * 2 * height, width, 1, channels]);
    // Then every column the same way.
    const wide = tf.concat([tallRows, tallRows], 2);
    return tf.reshape(wide, [batch, 2 * height, 2 * width, channels]);
  });
}

function scaledFilters(filters: number[], scale: number): number[] {
  return filters.map((count) => Math.max(1, Math.round(count * scale)));
}

function validateOptions(options: PinnModelOptions): Required<Omit<PinnModelOptions, 'seed'>> {
  const { patternSize } = options;
  const filterScale = options.filterScale ?? 1;
  if (!Number.isInteger(patternSize) || patternSize < 16 || patternSize % 8 !== 0) {
    throw new Error(
      `PtychoPINN model: patternSize must be a multiple of 8 and at least 16, received ${patternSize}. ` +
        'Crop the patterns to a size such as 32, 64 or 128.',
    );
  }
  if (!(filterScale > 0) || !Number.isFinite(filterScale)) {
    throw new Error(`PtychoPINN model: filterScale must be a positive number, received ${filterScale}.`);
  }
  return { patternSize, filterScale };
}

/** Creates 3×3 'same' convolutions whose kernel seeds count up from the model's seed. */
function convolutionFactory(seed: number | undefined) {
  let index = 0;
  return (filters: number, activation: 'relu' | 'sigmoid' | 'linear', name: string): tf.layers.Layer => {
    const kernelInitializer = tf.initializers.glorotUniform(seed === undefined ? {} : { seed: seed + index });
    index += 1;
    return tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation, name, kernelInitializer });
  };
}

type Convolution = ReturnType<typeof convolutionFactory>;

function decoder(
  convolution: Convolution,
  features: tf.SymbolicTensor,
  filters: number[],
  outputName: (typeof PINN_OUTPUT_NAMES)[number],
  patternSize: number,
): tf.SymbolicTensor {
  let x = features;
  filters.forEach((count, level) => {
    x = convolution(count, 'relu', `${outputName}_decoder${level}_conv0`).apply(x) as tf.SymbolicTensor;
    x = convolution(count, 'relu', `${outputName}_decoder${level}_conv1`).apply(x) as tf.SymbolicTensor;
    x = new NearestUpsampling({ name: `${outputName}_decoder${level}_upsample` }).apply(x) as tf.SymbolicTensor;
  });
  const activation = outputName === 'amplitude' ? 'sigmoid' : 'linear';
  x = convolution(1, activation, `${outputName}_head`).apply(x) as tf.SymbolicTensor;
  if (outputName === 'phase') {
    x = new PhaseActivation({ name: 'phase_activation' }).apply(x) as tf.SymbolicTensor;
  }
  const border = patternSize / 4;
  return tf.layers
    .zeroPadding2d({ padding: [[border, border], [border, border]], name: outputName })
    .apply(x) as tf.SymbolicTensor;
}

/**
 * Builds the network as a functional tf.LayersModel with one input [N, N, 1] and two outputs,
 * amplitude and phase, each [N, N, 1] and zero outside the central N/2 × N/2.
 */
export function buildPinnModel(options: PinnModelOptions): tf.LayersModel {
  const { patternSize, filterScale } = validateOptions(options);
  const convolution = convolutionFactory(options.seed);
  const input = tf.input({ shape: [patternSize, patternSize, 1], name: 'diffraction_amplitude' });

  let x: tf.SymbolicTensor = input;
  scaledFilters(ENCODER_FILTERS, filterScale).forEach((count, level) => {
    x = convolution(count, 'relu', `encoder${level}_conv0`).apply(x) as tf.SymbolicTensor;
    x = convolution(count, 'relu', `encoder${level}_conv1`).apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2, name: `encoder${level}_pool` }).apply(x) as tf.SymbolicTensor;
  });

  const decoderFilters = scaledFilters(DECODER_FILTERS, filterScale);
  const amplitude = decoder(convolution, x, decoderFilters, 'amplitude', patternSize);
  const phase = decoder(convolution, x, decoderFilters, 'phase', patternSize);
  return tf.model({ inputs: input, outputs: [amplitude, phase], name: 'ptychopinn' });
}

/**
 * Returns the number of trainable parameters of {@link buildPinnModel} for these options, from
 * the layer sizes alone: a 3×3 convolution from c to f channels has 9·c·f weights and f biases.
 */
export function pinnParameterCount(options: PinnModelOptions): number {
  const { filterScale } = validateOptions(options);
  const convolutionParameters = (inputs: number, outputs: number): number => 9 * inputs * outputs + outputs;

  let channels = 1;
  let total = 0;
  for (const count of scaledFilters(ENCODER_FILTERS, filterScale)) {
    total += convolutionParameters(channels, count) + convolutionParameters(count, count);
    channels = count;
  }
  const bottleneckChannels = channels;

  let decoderTotal = 0;
  channels = bottleneckChannels;
  for (const count of scaledFilters(DECODER_FILTERS, filterScale)) {
    decoderTotal += convolutionParameters(channels, count) + convolutionParameters(count, count);
    channels = count;
  }
  decoderTotal += convolutionParameters(channels, 1);
  return total + 2 * decoderTotal;
}
