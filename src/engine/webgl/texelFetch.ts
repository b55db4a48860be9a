/**
 * Integer addressing of unpacked float textures, for the WebGL programs whose tensors can have
 * more than 2^24 floats (a 4096² complex object has 2^25).
 *
 * tfjs 4.22's generated getters compute the flat index with integers, or with floats that stay
 * below the texture size, and then turn it into a normalised float texture coordinate that the
 * sampler scales back to a texel. That is exact in float32 arithmetic but leaves the address to
 * the sampler's coordinate precision. It read 4096² and 5000×6000 objects exactly on SwiftShader
 * in Chromium 156, but other GPUs may round texture coordinates more coarsely. texelFetch takes
 * the texel's integer column and row, so no float enters the address.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Returns whether a program can read an unpacked input of `shape` with {@link unpackedTexelFetch}.
 * That needs GLSL ES 3.00 (WebGL 2) and an input stored as a texture. tfjs passes an input of at
 * most WEBGL_SIZE_UPLOAD_UNIFORM elements that is still on the CPU as a uniform array instead.
 */
export function canUseTexelFetch(shape: number[]): boolean {
  return (
    tf.env().getNumber('WEBGL_VERSION') >= 2 &&
    tf.util.sizeFromShape(shape) > tf.env().getNumber('WEBGL_SIZE_UPLOAD_UNIFORM')
  );
}

/**
 * Returns GLSL ES 3.00 for `float functionName(int flatIndex)`, which reads element flatIndex of
 * the unpacked program input `inputName` in row-major logical order.
 *
 * An unpacked tfjs texture stores one value per texel in its red channel, in row-major logical
 * order across texture rows, whatever texture shape tfjs chose. A tensor that is a slice of
 * another shares that tensor's texture and starts at the texel in the uniform `offset<name>`,
 * which tfjs declares for every texture input and sets to the slice's flat offset (it stays 0
 * otherwise). The texture's width comes from textureSize, so the code does not depend on the
 * texture shape.
 */
export function unpackedTexelFetch(inputName: string, functionName: string): string {
  return `
    float ${functionName}(int flatIndex) {
      int texel = flatIndex + offset${inputName};
      int textureWidth = textureSize(${inputName}, 0).x;
      int textureRow = texel / textureWidth;
      return texelFetch(${inputName}, ivec2(texel - textureRow * textureWidth, textureRow), 0).r;
    }
  `;
}

/**
 * Throws when a tensor of `shape` cannot be stored as an unpacked float texture on this device.
 * Such a texture stores one float per texel, so it stores at most WEBGL_MAX_TEXTURE_SIZE² floats
 * (2^26 with the 8192 of SwiftShader WebGL 2). tfjs would otherwise fail later, while allocating
 * the texture, with a message that names neither the kernel nor the tensor.
 */
export function assertFitsUnpackedTexture(kernel: string, tensorName: string, shape: number[]): void {
  const maxTextureSize = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
  const floats = tf.util.sizeFromShape(shape);
  if (floats > maxTextureSize * maxTextureSize) {
    throw new Error(
      `${kernel}: ${tensorName} [${shape.join(', ')}] has ${floats} floats, more than the ` +
        `${maxTextureSize}² = ${maxTextureSize * maxTextureSize} that one WebGL texture stores on this device ` +
        `(WEBGL_MAX_TEXTURE_SIZE ${maxTextureSize}). Use a smaller object or the webgpu or cpu backend.`,
    );
  }
}
