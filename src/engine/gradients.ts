/**
 * Gradients of the custom physics kernels. They are registered once for all backends because they
 * are built from the kernels themselves through ops.ts.
 *
 * TensorFlow.js treats a complex field stored as [..., 2] as real numbers, so the upstream gradient
 * dy contains (∂L/∂Re y, ∂L/∂Im y). Read dy as the complex number g = ∂L/∂Re y + i·∂L/∂Im y. For
 * y = A·x with a complex-linear map A, the real form of A is [[Re A, -Im A], [Im A, Re A]]. Its
 * transpose is the real form of Aᴴ, so the gradient with respect to x, read the same way, is Aᴴ·g.
 */
import * as tf from '@tensorflow/tfjs';

import { COMPLEX_MULTIPLY, FFT2 } from './kernelNames';
import { complexMultiply, fft2 } from './ops';

/**
 * The FFT2 gradient. Both directions are unitary, so the adjoint of the forward transform is the
 * inverse transform and the adjoint of the inverse is the forward one.
 */
const fft2Gradient: tf.GradConfig = {
  kernelName: FFT2,
  gradFunc: (dy, _saved, attrs) => {
    const upstream = dy as tf.Tensor4D;
    const adjointDirection = attrs.inverse === true ? 'forward' : 'inverse';
    return { x: () => fft2(upstream, adjointDirection) };
  },
};

/** Sums a per-batch gradient over the batch axis when the operand was broadcast (rank 3). */
function reduceToOperandRank(gradient: tf.Tensor, operand: tf.Tensor): tf.Tensor {
  return operand.rank === 3 && gradient.rank === 4 ? tf.sum(gradient, 0) : gradient;
}

/**
 * The COMPLEX_MULTIPLY gradient. For y = a·b the map b ↦ y is multiplication by a, so ∂L/∂b = conj(a)·g,
 * and likewise ∂L/∂a = conj(b)·g. For y = conj(a)·b, ∂L/∂b = a·g, and y is anti-linear in a, which gives
 * ∂L/∂a = b·conj(g).
 */
const complexMultiplyGradient: tf.GradConfig = {
  kernelName: COMPLEX_MULTIPLY,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const upstream = dy as tf.Tensor;
    const [a, b] = saved;
    const conjugateA = attrs.conjugateA === true;
    return {
      a: () => {
        const gradient = conjugateA ? complexMultiply(upstream, b, true) : complexMultiply(b, upstream, true);
        return reduceToOperandRank(gradient, a);
      },
      b: () => reduceToOperandRank(complexMultiply(a, upstream, !conjugateA), b),
    };
  },
};

let registered = false;

/**
 * Registers the gradients of FFT2 and COMPLEX_MULTIPLY, once per JavaScript realm. MODULUS_PROJECTION,
 * AMPLITUDE_RESIDUAL, CONJUGATE_PRODUCT_SUM and REGULARIZED_UPDATE get none because only the iterative
 * PIE solver calls them, and it does not differentiate through them.
 */
export function registerPhysicsGradients(): void {
  if (registered) return;
  tf.registerGradient(fft2Gradient);
  tf.registerGradient(complexMultiplyGradient);
  registered = true;
}
