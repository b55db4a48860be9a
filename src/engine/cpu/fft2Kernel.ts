/** The FFT2 kernel for the 'cpu' backend. */
import type { KernelConfig, MathBackendCPU } from '@tensorflow/tfjs';

import { FFT2 } from '../kernelNames';
import { readFloat32, requireInput } from './backendData';
import { fft2, isFftSize } from './fft';

export const fft2CpuKernel: KernelConfig = {
  kernelName: FFT2,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const x = requireInput(FFT2, inputs, 'x');
    const [batch, n, width, parts] = x.shape;
    if (x.shape.length !== 4 || width !== n || parts !== 2 || !isFftSize(n)) {
      throw new Error(
        `${FFT2}: expected x of shape [B, N, N, 2] with N a power of two, received [${x.shape.join(', ')}].`,
      );
    }

    const output = new Float32Array(batch * n * n * 2);
    fft2(readFloat32(cpu, x), output, batch, n, attrs?.inverse === true);
    return cpu.makeTensorInfo(x.shape, 'float32', output);
  },
};
