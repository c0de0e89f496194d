using System.Runtime.CompilerServices;

// Hot paths stackalloc kilobytes of scratch that they overwrite before reading; zero-filling it first is wasted work.
[module: SkipLocalsInit]
