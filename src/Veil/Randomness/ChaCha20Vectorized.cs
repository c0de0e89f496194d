using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Veil.Randomness;

// SIMD ChaCha20: many blocks at once, one block per vector lane.
//
// Layout. A kernel of width N (16 for Vector512<uint>, 8 for Vector256<uint>) keeps the 16 state words in 16 vectors
// x0..x15; lane i of vector xk is state word k of block firstBlock + i. The quarter rounds are then the scalar ones
// applied lane-wise, with no shuffles inside the rounds. Word 12/13 hold the 64-bit counter of each lane: the low
// word is lo(firstBlock) + i and a lane whose low word wrapped past 2^32 carries 1 into its high word.
//
// After the rounds (and adding the input state) the N × 16 word matrix is word-major; the output is block-major
// (block b's words at output[16b .. 16b + 16)). The transpose works on groups of four word vectors (words 0–3, 4–7,
// 8–11, 12–15): inside every 128-bit lane j, a 32-bit and a 64-bit unpack turn four word vectors into four vectors
// where vector g's lane j holds the four words of block 4j + g (a 4×4 transpose per 128-bit lane). The width-specific
// StoreGroup then gathers the 128-bit lanes of the four word groups of each block (Shuffle4x128 for 512 bits,
// Permute2x128 for 256 bits) and stores whole blocks.
//
// One generic kernel (Generate) holds the rounds, counters, transpose and loop; the ILanes structs supply the
// width-specific primitives and the JIT specialises Generate per struct, so everything inlines into straight-line
// vector code. With AVX-512 (32 registers) the 16 state vectors stay in registers for both widths. On a plain AVX2
// machine (16 ymm) the shift/or rotations by 12 and 7 need a 17th register and the JIT spills around them: measured
// with DOTNET_EnableAVX512=0 on the Zen 4 box the Vector256 kernel then runs ~37 ns/block instead of ~14.5 (scalar ~185).
internal static partial class ChaCha20
{
    private static partial int GenerateBlocksVectorized(in ChaChaKey key, ulong firstBlock, Span<uint> output)
    {
        // Each kernel writes every block it is given, a last partial group included (see Generate). Measured on the
        // Zen 4 target: a 16-lane iteration costs ~200 ns, an 8-lane one ~120 ns and a scalar block ~185 ns. So with
        // AVX-512 the Vector512 kernel takes all but a remainder of 1–8 blocks, which one Vector256 iteration finishes;
        // a remainder of 9–15 is one more (partial) Vector512 iteration.
        if (Avx512F.IsSupported)
        {
            int blocks = output.Length / BlockWords;
            int remainder = blocks % Lanes512.Count;
            int wide = remainder > 0 && remainder <= Vector256<uint>.Count ? blocks - remainder : blocks;
            int done = wide == 0 ? 0 : GenerateBlocksAvx512(key, firstBlock, output[..(wide * BlockWords)]);
            if (done < blocks)
            {
                done += GenerateBlocksAvx2(key, unchecked(firstBlock + (ulong)done), output[(done * BlockWords)..]);
            }

            return done;
        }

        return GenerateBlocksAvx2(key, firstBlock, output);
    }

    /// <summary>All blocks with the Vector512 kernel; returns the block count written (0 without AVX-512F).</summary>
    internal static int GenerateBlocksAvx512(in ChaChaKey key, ulong firstBlock, Span<uint> output) =>
        Avx512F.IsSupported ? Generate<Lanes512, Vector512<uint>>(key, firstBlock, output) : 0;

    /// <summary>
    /// All blocks with the Vector256 kernel (vprold rotations when AVX-512VL is present);
    /// returns the block count written (0 without AVX2).
    /// </summary>
    internal static int GenerateBlocksAvx2(in ChaChaKey key, ulong firstBlock, Span<uint> output)
    {
        if (Avx512F.VL.IsSupported)
        {
            return Generate<Lanes256<RotationAvx512VL>, Vector256<uint>>(key, firstBlock, output);
        }

        return GenerateBlocksAvx2NoVL(key, firstBlock, output);
    }

    /// <summary>
    /// Like <see cref="GenerateBlocksAvx2"/> but rotating with shifts and byte shuffles even when AVX-512VL is present,
    /// so tests on AVX-512 machines also cover the plain-AVX2 rotations.
    /// </summary>
    internal static int GenerateBlocksAvx2NoVL(in ChaChaKey key, ulong firstBlock, Span<uint> output) =>
        Avx2.IsSupported ? Generate<Lanes256<RotationAvx2>, Vector256<uint>>(key, firstBlock, output) : 0;

    /// <summary>
    /// All blocks of <paramref name="output"/>, <see cref="ILanes{TVector}.Count"/> per iteration. A last partial group
    /// is generated whole into a stack buffer and its leading blocks copied out: one vector iteration costs about as
    /// much as a single scalar block, so this beats finishing with scalar blocks whenever at least one block is left.
    /// </summary>
    [SkipLocalsInit]
    private static int Generate<TLanes, TVector>(in ChaChaKey key, ulong firstBlock, Span<uint> output)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        unchecked
        {
            int blocks = output.Length / BlockWords;
            int fullGroups = blocks / TLanes.Count;
            int tailWords = (blocks - (fullGroups * TLanes.Count)) * BlockWords;
            int groups = tailWords == 0 ? fullGroups : fullGroups + 1;
            Span<uint> tail = tailWords == 0 ? default : stackalloc uint[TLanes.Count * BlockWords];
            ref uint destination = ref MemoryMarshal.GetReference(output);

            TVector k0 = TLanes.Broadcast(key[0]), k1 = TLanes.Broadcast(key[1]);
            TVector k2 = TLanes.Broadcast(key[2]), k3 = TLanes.Broadcast(key[3]);
            TVector k4 = TLanes.Broadcast(key[4]), k5 = TLanes.Broadcast(key[5]);
            TVector k6 = TLanes.Broadcast(key[6]), k7 = TLanes.Broadcast(key[7]);

            ulong counter = firstBlock;
            for (int g = 0; g < groups; g++)
            {
                // Per-lane 64-bit counters: low = lo + i, and high = hi + 1 in the lanes where low wrapped (low < lo).
                TVector counterLow0 = TLanes.Broadcast((uint)counter);
                TVector counterLow = TLanes.Add(counterLow0, TLanes.Indices);
                TVector counterHigh = TLanes.Subtract(
                    TLanes.Broadcast((uint)(counter >> 32)), TLanes.LessThan(counterLow, counterLow0));

                TVector x0 = TLanes.Broadcast(0x61707865), x1 = TLanes.Broadcast(0x3320646e);
                TVector x2 = TLanes.Broadcast(0x79622d32), x3 = TLanes.Broadcast(0x6b206574);
                TVector x4 = k0, x5 = k1, x6 = k2, x7 = k3, x8 = k4, x9 = k5, x10 = k6, x11 = k7;
                TVector x12 = counterLow, x13 = counterHigh, x14 = default, x15 = default;

                for (int round = 0; round < 10; round++)
                {
                    // Columns, then diagonals; the four quarter rounds of each step are interleaved.
                    QuarterRounds<TLanes, TVector>(
                        ref x0, ref x4, ref x8, ref x12, ref x1, ref x5, ref x9, ref x13,
                        ref x2, ref x6, ref x10, ref x14, ref x3, ref x7, ref x11, ref x15);
                    QuarterRounds<TLanes, TVector>(
                        ref x0, ref x5, ref x10, ref x15, ref x1, ref x6, ref x11, ref x12,
                        ref x2, ref x7, ref x8, ref x13, ref x3, ref x4, ref x9, ref x14);
                }

                x0 = TLanes.Add(x0, TLanes.Broadcast(0x61707865));
                x1 = TLanes.Add(x1, TLanes.Broadcast(0x3320646e));
                x2 = TLanes.Add(x2, TLanes.Broadcast(0x79622d32));
                x3 = TLanes.Add(x3, TLanes.Broadcast(0x6b206574));
                x4 = TLanes.Add(x4, k0);
                x5 = TLanes.Add(x5, k1);
                x6 = TLanes.Add(x6, k2);
                x7 = TLanes.Add(x7, k3);
                x8 = TLanes.Add(x8, k4);
                x9 = TLanes.Add(x9, k5);
                x10 = TLanes.Add(x10, k6);
                x11 = TLanes.Add(x11, k7);
                x12 = TLanes.Add(x12, counterLow);
                x13 = TLanes.Add(x13, counterHigh);

                // Words 14 and 15 (the stream id) are zero in the input, so there is nothing to add.
                Transpose4<TLanes, TVector>(ref x0, ref x1, ref x2, ref x3);
                Transpose4<TLanes, TVector>(ref x4, ref x5, ref x6, ref x7);
                Transpose4<TLanes, TVector>(ref x8, ref x9, ref x10, ref x11);
                Transpose4<TLanes, TVector>(ref x12, ref x13, ref x14, ref x15);

                ref uint groupStart = ref g < fullGroups
                    ? ref Unsafe.Add(ref destination, (nint)g * TLanes.Count * BlockWords)
                    : ref MemoryMarshal.GetReference(tail);
                TLanes.StoreGroup(x0, x4, x8, x12, ref groupStart);
                TLanes.StoreGroup(x1, x5, x9, x13, ref Unsafe.Add(ref groupStart, 1 * BlockWords));
                TLanes.StoreGroup(x2, x6, x10, x14, ref Unsafe.Add(ref groupStart, 2 * BlockWords));
                TLanes.StoreGroup(x3, x7, x11, x15, ref Unsafe.Add(ref groupStart, 3 * BlockWords));

                counter += (ulong)TLanes.Count;
            }

            if (tailWords != 0)
            {
                tail[..tailWords].CopyTo(output[(fullGroups * TLanes.Count * BlockWords)..]);
            }

            return blocks;
        }
    }

    /// <summary>Four independent quarter rounds (a, b, c, d) = (a0, b0, c0, d0) … (a3, b3, c3, d3), step by step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRounds<TLanes, TVector>(
        ref TVector a0, ref TVector b0, ref TVector c0, ref TVector d0,
        ref TVector a1, ref TVector b1, ref TVector c1, ref TVector d1,
        ref TVector a2, ref TVector b2, ref TVector c2, ref TVector d2,
        ref TVector a3, ref TVector b3, ref TVector c3, ref TVector d3)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        a0 = TLanes.Add(a0, b0); a1 = TLanes.Add(a1, b1); a2 = TLanes.Add(a2, b2); a3 = TLanes.Add(a3, b3);
        d0 = TLanes.RotateLeft16(TLanes.Xor(d0, a0)); d1 = TLanes.RotateLeft16(TLanes.Xor(d1, a1));
        d2 = TLanes.RotateLeft16(TLanes.Xor(d2, a2)); d3 = TLanes.RotateLeft16(TLanes.Xor(d3, a3));
        c0 = TLanes.Add(c0, d0); c1 = TLanes.Add(c1, d1); c2 = TLanes.Add(c2, d2); c3 = TLanes.Add(c3, d3);
        b0 = TLanes.RotateLeft12(TLanes.Xor(b0, c0)); b1 = TLanes.RotateLeft12(TLanes.Xor(b1, c1));
        b2 = TLanes.RotateLeft12(TLanes.Xor(b2, c2)); b3 = TLanes.RotateLeft12(TLanes.Xor(b3, c3));
        a0 = TLanes.Add(a0, b0); a1 = TLanes.Add(a1, b1); a2 = TLanes.Add(a2, b2); a3 = TLanes.Add(a3, b3);
        d0 = TLanes.RotateLeft8(TLanes.Xor(d0, a0)); d1 = TLanes.RotateLeft8(TLanes.Xor(d1, a1));
        d2 = TLanes.RotateLeft8(TLanes.Xor(d2, a2)); d3 = TLanes.RotateLeft8(TLanes.Xor(d3, a3));
        c0 = TLanes.Add(c0, d0); c1 = TLanes.Add(c1, d1); c2 = TLanes.Add(c2, d2); c3 = TLanes.Add(c3, d3);
        b0 = TLanes.RotateLeft7(TLanes.Xor(b0, c0)); b1 = TLanes.RotateLeft7(TLanes.Xor(b1, c1));
        b2 = TLanes.RotateLeft7(TLanes.Xor(b2, c2)); b3 = TLanes.RotateLeft7(TLanes.Xor(b3, c3));
    }

    /// <summary>
    /// Transposes four word vectors inside every 128-bit lane j: before, vector r lane j holds word r (of the group)
    /// of blocks 4j .. 4j+3; after, vector r lane j holds the four words of block 4j + r.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4<TLanes, TVector>(ref TVector a, ref TVector b, ref TVector c, ref TVector d)
        where TLanes : struct, ILanes<TVector>
        where TVector : struct
    {
        TVector ab0 = TLanes.UnpackLow32(a, b);  // a0 b0 a1 b1
        TVector ab1 = TLanes.UnpackHigh32(a, b); // a2 b2 a3 b3
        TVector cd0 = TLanes.UnpackLow32(c, d);  // c0 d0 c1 d1
        TVector cd1 = TLanes.UnpackHigh32(c, d); // c2 d2 c3 d3
        a = TLanes.UnpackLow64(ab0, cd0);        // a0 b0 c0 d0
        b = TLanes.UnpackHigh64(ab0, cd0);       // a1 b1 c1 d1
        c = TLanes.UnpackLow64(ab1, cd1);        // a2 b2 c2 d2
        d = TLanes.UnpackHigh64(ab1, cd1);       // a3 b3 c3 d3
    }

    /// <summary>The lane-wise operations a kernel width supplies; implemented by structs so the JIT specialises and inlines.</summary>
    private interface ILanes<TVector>
        where TVector : struct
    {
        /// <summary>Lanes per vector, i.e. blocks per iteration.</summary>
        static abstract int Count { get; }

        /// <summary>0, 1, 2, … per lane.</summary>
        static abstract TVector Indices { get; }

        static abstract TVector Broadcast(uint value);

        static abstract TVector Add(TVector left, TVector right);

        static abstract TVector Subtract(TVector left, TVector right);

        static abstract TVector Xor(TVector left, TVector right);

        /// <summary>Unsigned compare; all ones where <paramref name="left"/> &lt; <paramref name="right"/>.</summary>
        static abstract TVector LessThan(TVector left, TVector right);

        static abstract TVector RotateLeft16(TVector value);

        static abstract TVector RotateLeft12(TVector value);

        static abstract TVector RotateLeft8(TVector value);

        static abstract TVector RotateLeft7(TVector value);

        /// <summary>Interleaves the 32-bit words of the low halves of each 128-bit lane.</summary>
        static abstract TVector UnpackLow32(TVector left, TVector right);

        static abstract TVector UnpackHigh32(TVector left, TVector right);

        /// <summary>Interleaves the 64-bit halves of each 128-bit lane (low halves).</summary>
        static abstract TVector UnpackLow64(TVector left, TVector right);

        static abstract TVector UnpackHigh64(TVector left, TVector right);

        /// <summary>
        /// Stores the blocks 4j + g (every 128-bit lane j) given the four transposed word groups of g: lane j of
        /// <paramref name="words0"/> holds words 0–3 of block 4j + g, <paramref name="words4"/> words 4–7 and so on.
        /// <paramref name="blockG"/> is the start of block g of this iteration.
        /// </summary>
        static abstract void StoreGroup(TVector words0, TVector words4, TVector words8, TVector words12, ref uint blockG);
    }

    /// <summary>16 blocks per iteration in Vector512 lanes (AVX-512F).</summary>
    private readonly struct Lanes512 : ILanes<Vector512<uint>>
    {
        public static int Count => Vector512<uint>.Count;

        public static Vector512<uint> Indices => Vector512<uint>.Indices;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> Broadcast(uint value) => Vector512.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> Add(Vector512<uint> left, Vector512<uint> right) => left + right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> Subtract(Vector512<uint> left, Vector512<uint> right) => left - right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> Xor(Vector512<uint> left, Vector512<uint> right) => left ^ right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> LessThan(Vector512<uint> left, Vector512<uint> right) => Vector512.LessThan(left, right);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> RotateLeft16(Vector512<uint> value) => Avx512F.RotateLeft(value, 16);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> RotateLeft12(Vector512<uint> value) => Avx512F.RotateLeft(value, 12);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> RotateLeft8(Vector512<uint> value) => Avx512F.RotateLeft(value, 8);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> RotateLeft7(Vector512<uint> value) => Avx512F.RotateLeft(value, 7);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> UnpackLow32(Vector512<uint> left, Vector512<uint> right) => Avx512F.UnpackLow(left, right);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> UnpackHigh32(Vector512<uint> left, Vector512<uint> right) => Avx512F.UnpackHigh(left, right);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> UnpackLow64(Vector512<uint> left, Vector512<uint> right) =>
            Avx512F.UnpackLow(left.AsUInt64(), right.AsUInt64()).AsUInt32();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<uint> UnpackHigh64(Vector512<uint> left, Vector512<uint> right) =>
            Avx512F.UnpackHigh(left.AsUInt64(), right.AsUInt64()).AsUInt32();

        /// <summary>
        /// Lane j of each input belongs to block 4j + g. Shuffle4x128 with 0x88 picks 128-bit lanes (0, 2 | 0, 2) of
        /// (left | right), 0xDD picks (1, 3 | 1, 3); two rounds of it collect lane j of all four inputs in order.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void StoreGroup(Vector512<uint> words0, Vector512<uint> words4, Vector512<uint> words8, Vector512<uint> words12, ref uint blockG)
        {
            Vector512<uint> even0 = Avx512F.Shuffle4x128(words0, words4, 0x88);  // w0.l0 w0.l2 w4.l0 w4.l2
            Vector512<uint> odd0 = Avx512F.Shuffle4x128(words0, words4, 0xDD);   // w0.l1 w0.l3 w4.l1 w4.l3
            Vector512<uint> even8 = Avx512F.Shuffle4x128(words8, words12, 0x88); // w8.l0 w8.l2 w12.l0 w12.l2
            Vector512<uint> odd8 = Avx512F.Shuffle4x128(words8, words12, 0xDD);  // w8.l1 w8.l3 w12.l1 w12.l3
            Avx512F.Shuffle4x128(even0, even8, 0x88).StoreUnsafe(ref blockG, 0 * BlockWords);  // block g
            Avx512F.Shuffle4x128(odd0, odd8, 0x88).StoreUnsafe(ref blockG, 4 * BlockWords);    // block 4 + g
            Avx512F.Shuffle4x128(even0, even8, 0xDD).StoreUnsafe(ref blockG, 8 * BlockWords);  // block 8 + g
            Avx512F.Shuffle4x128(odd0, odd8, 0xDD).StoreUnsafe(ref blockG, 12 * BlockWords);   // block 12 + g
        }
    }

    /// <summary>8 blocks per iteration in Vector256 lanes (AVX2); <typeparamref name="TRotation"/> supplies the rotations.</summary>
    private readonly struct Lanes256<TRotation> : ILanes<Vector256<uint>>
        where TRotation : struct, IRotation256
    {
        public static int Count => Vector256<uint>.Count;

        public static Vector256<uint> Indices => Vector256<uint>.Indices;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> Broadcast(uint value) => Vector256.Create(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> Add(Vector256<uint> left, Vector256<uint> right) => left + right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> Subtract(Vector256<uint> left, Vector256<uint> right) => left - right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> Xor(Vector256<uint> left, Vector256<uint> right) => left ^ right;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> LessThan(Vector256<uint> left, Vector256<uint> right) => Vector256.LessThan(left, right);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> RotateLeft16(Vector256<uint> value) => TRotation.RotateLeft16(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> RotateLeft12(Vector256<uint> value) => TRotation.RotateLeft12(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> RotateLeft8(Vector256<uint> value) => TRotation.RotateLeft8(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> RotateLeft7(Vector256<uint> value) => TRotation.RotateLeft7(value);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> UnpackLow32(Vector256<uint> left, Vector256<uint> right) => Avx2.UnpackLow(left, right);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> UnpackHigh32(Vector256<uint> left, Vector256<uint> right) => Avx2.UnpackHigh(left, right);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> UnpackLow64(Vector256<uint> left, Vector256<uint> right) =>
            Avx2.UnpackLow(left.AsUInt64(), right.AsUInt64()).AsUInt32();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> UnpackHigh64(Vector256<uint> left, Vector256<uint> right) =>
            Avx2.UnpackHigh(left.AsUInt64(), right.AsUInt64()).AsUInt32();

        /// <summary>
        /// Lane j of each input belongs to block 4j + g. Permute2x128 with 0x20 joins the low 128-bit lanes of
        /// (left, right), 0x31 the high ones: words 0–7 and 8–15 of blocks g and 4 + g.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void StoreGroup(Vector256<uint> words0, Vector256<uint> words4, Vector256<uint> words8, Vector256<uint> words12, ref uint blockG)
        {
            Avx2.Permute2x128(words0, words4, 0x20).StoreUnsafe(ref blockG, 0);
            Avx2.Permute2x128(words8, words12, 0x20).StoreUnsafe(ref blockG, 8);
            Avx2.Permute2x128(words0, words4, 0x31).StoreUnsafe(ref blockG, (4 * BlockWords) + 0);
            Avx2.Permute2x128(words8, words12, 0x31).StoreUnsafe(ref blockG, (4 * BlockWords) + 8);
        }
    }

    /// <summary>The four ChaCha rotations on Vector256 words.</summary>
    private interface IRotation256
    {
        static abstract Vector256<uint> RotateLeft16(Vector256<uint> value);

        static abstract Vector256<uint> RotateLeft12(Vector256<uint> value);

        static abstract Vector256<uint> RotateLeft8(Vector256<uint> value);

        static abstract Vector256<uint> RotateLeft7(Vector256<uint> value);
    }

    /// <summary>One vprold each (AVX-512VL).</summary>
    private readonly struct RotationAvx512VL : IRotation256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> RotateLeft16(Vector256<uint> value) => Avx512F.VL.RotateLeft(value, 16);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> RotateLeft12(Vector256<uint> value) => Avx512F.VL.RotateLeft(value, 12);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> RotateLeft8(Vector256<uint> value) => Avx512F.VL.RotateLeft(value, 8);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> RotateLeft7(Vector256<uint> value) => Avx512F.VL.RotateLeft(value, 7);
    }

    /// <summary>Plain AVX2: byte shuffles for 16 and 8, shift/shift/or for 12 and 7.</summary>
    private readonly struct RotationAvx2 : IRotation256
    {
        /// <summary>Byte i of each word comes from byte (i + 2) mod 4.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> RotateLeft16(Vector256<uint> value) =>
            Avx2.Shuffle(value.AsByte(), Vector256.Create(
                (byte)2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
                2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)).AsUInt32();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> RotateLeft12(Vector256<uint> value) =>
            Vector256.ShiftLeft(value, 12) | Vector256.ShiftRightLogical(value, 20);

        /// <summary>Byte i of each word comes from byte (i + 3) mod 4.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> RotateLeft8(Vector256<uint> value) =>
            Avx2.Shuffle(value.AsByte(), Vector256.Create(
                (byte)3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14,
                3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14)).AsUInt32();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<uint> RotateLeft7(Vector256<uint> value) =>
            Vector256.ShiftLeft(value, 7) | Vector256.ShiftRightLogical(value, 25);
    }
}
