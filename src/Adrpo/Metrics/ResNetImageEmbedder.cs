using Microsoft.ML.OnnxRuntime;

namespace Adrpo.Metrics;

/// <summary>
/// Frozen, pretrained ResNet-18 image featurizer (512-d, the global-average-pooled features before the classifier)
/// from the ONNX models in the <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> package, run directly in ONNX Runtime:
/// the miniature's stand-in for the CLIP image encoder the ADRPO paper measures diversity with. Works offline.
/// </summary>
/// <remarks>
/// <para>
/// <b>Model files.</b> The package ships <c>DnnImageModels/ResNet18Onnx/ResNet18.onnx</c> (CNTK export, input
/// <c>Input247</c> [1, 3, 224, 224], output <c>Pooling395_Output_0</c> [1, 512, 1, 1]) and
/// <c>DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx</c>, and copies both to the build output's
/// <c>DnnImageModels</c> folder. Adrpo does not depend on that package (it would put 62 MB of models into every app):
/// an app that uses this class references it, <c>&lt;PackageReference Include="Microsoft.ML.DnnImageFeaturizer.ResNet18"
/// Version="0.23.1" /&gt;</c>, or passes the folder that holds the files.
/// </para>
/// <para>
/// <b>Preprocessing.</b> <c>ResNetPreprocess.onnx</c> takes <c>OriginalInput</c> [1, 3, 224, 224]: RGB planes with
/// values 0-255 (what ML.NET's <c>ExtractPixels</c> produces by default); it reorders the planes to BGR and subtracts a
/// per-pixel ImageNet mean image (a [1, 3, 224, 224] initializer, channel means about B 103, G 116, R 123; no
/// division by a standard deviation). Because the mean is per pixel, not per channel, this class runs that model
/// as ML.NET's <c>DnnFeaturizeImage</c> does instead of re-implementing it. Before it, each [-1, 1] image is clamped,
/// mapped linearly to 0-255 (-1 to 0, 1 to 255; no rounding), and resized to 224 x 224 with bilinear interpolation
/// (half-pixel centres, the <c>align_corners=False</c> convention); a one-channel image is repeated into R, G and B.
/// </para>
/// <para>
/// Both models have a fixed batch size of 1, so images are run one at a time. Calls are thread-safe and serialized.
/// Embeddings are returned as computed (not normalised).
/// </para>
/// </remarks>
public sealed class ResNetImageEmbedder : IImageEmbedder, IDisposable
{
    /// <summary>Length of a ResNet-18 embedding.</summary>
    public const int EmbeddingDimension = 512;

    /// <summary>Height and width of the network's input.</summary>
    public const int InputSize = 224;

    /// <summary>The NuGet package that provides the model files.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The version of <see cref="PackageId"/> whose models this class was checked against.</summary>
    public const string PackageVersion = "0.23.1";

    /// <summary>Path of the ResNet-18 model relative to the model folder.</summary>
    public static readonly string ModelRelativePath = Path.Combine("ResNet18Onnx", "ResNet18.onnx");

    /// <summary>Path of the preprocessing model relative to the model folder.</summary>
    public static readonly string PreprocessRelativePath = Path.Combine("ResNetPrepOnnx", "ResNetPreprocess.onnx");

    private const string PreprocessInput = "OriginalInput";
    private const string PreprocessOutput = "PreprocessedInput";
    private const string ModelInput = "Input247";
    private const string ModelOutput = "Pooling395_Output_0";
    private const int PlaneSize = InputSize * InputSize;

    private static readonly long[] ImageShape = [1, 3, InputSize, InputSize];
    private static readonly long[] EmbeddingShape = [1, EmbeddingDimension, 1, 1];

    private readonly object _gate = new();
    private SessionOptions? _options;
    private InferenceSession? _preprocess;
    private InferenceSession? _model;

    /// <summary>Loads both ONNX models.</summary>
    /// <param name="modelDirectory">The <c>DnnImageModels</c> folder that holds <see cref="ModelRelativePath"/> and
    /// <see cref="PreprocessRelativePath"/>; null means <see cref="DefaultModelDirectory"/>.</param>
    /// <param name="intraOpThreads">ONNX Runtime threads per model call; 0 lets ONNX Runtime choose (all cores).</param>
    /// <exception cref="FileNotFoundException">A model file is missing; the message names it and the package reference to add.</exception>
    /// <exception cref="InvalidDataException">A model's inputs or outputs are not the expected ones.</exception>
    public ResNetImageEmbedder(string? modelDirectory = null, int intraOpThreads = 0)
    {
        if (modelDirectory is not null && string.IsNullOrWhiteSpace(modelDirectory))
        {
            throw new ArgumentException("modelDirectory must be a folder path, or null for the default.", nameof(modelDirectory));
        }

        if (intraOpThreads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(intraOpThreads), intraOpThreads, "intraOpThreads must be 0 (automatic) or more.");
        }

        ModelDirectory = Path.GetFullPath(modelDirectory ?? DefaultModelDirectory);
        string preprocessPath = RequireFile(PreprocessRelativePath);
        string modelPath = RequireFile(ModelRelativePath);

        _options = new SessionOptions { IntraOpNumThreads = intraOpThreads };
        try
        {
            _preprocess = new InferenceSession(preprocessPath, _options);
            CheckTensor(_preprocess.InputMetadata, PreprocessInput, ImageShape, preprocessPath, "input");
            CheckTensor(_preprocess.OutputMetadata, PreprocessOutput, ImageShape, preprocessPath, "output");
            _model = new InferenceSession(modelPath, _options);
            CheckTensor(_model.InputMetadata, ModelInput, ImageShape, modelPath, "input");
            CheckTensor(_model.OutputMetadata, ModelOutput, EmbeddingShape, modelPath, "output");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Where the package's build props copy the models: <c>DnnImageModels</c> next to the application.</summary>
    public static string DefaultModelDirectory => Path.Combine(AppContext.BaseDirectory, "DnnImageModels");

    /// <summary>The absolute model folder in use.</summary>
    public string ModelDirectory { get; }

    /// <inheritdoc />
    public int Dimension => EmbeddingDimension;

    /// <summary>Embeds images with ResNet-18 (see the remarks on <see cref="ResNetImageEmbedder"/> for the mapping).</summary>
    /// <param name="images">CHW images of <c>channels * height * width</c> values in [-1, 1] (values outside are
    /// clamped; NaN and infinities are rejected). May be empty.</param>
    /// <param name="channels">1 (greyscale) or 3 (RGB).</param>
    /// <param name="height">Rows, at least 1.</param>
    /// <param name="width">Columns, at least 1.</param>
    /// <returns>One new 512-long vector per image, in input order.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="images"/> or one of its images is null.</exception>
    /// <exception cref="ArgumentException">An image has the wrong length or a non-finite value.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The channel count or a size is invalid.</exception>
    public float[][] Embed(IReadOnlyList<float[]> images, int channels, int height, int width)
    {
        CheckImages(images, channels, height, width);
        var result = new float[images.Count][];
        if (images.Count == 0)
        {
            return result;
        }

        var rows = BilinearAxis.Create(height, InputSize);
        var cols = BilinearAxis.Create(width, InputSize);
        var input = new float[3 * PlaneSize];
        var preprocessed = new float[3 * PlaneSize];
        var features = new float[EmbeddingDimension];
        string[] preprocessInputNames = [PreprocessInput], preprocessOutputNames = [PreprocessOutput];
        string[] modelInputNames = [ModelInput], modelOutputNames = [ModelOutput];

        lock (_gate)
        {
            if (_model is null || _preprocess is null)
            {
                throw new ObjectDisposedException(nameof(ResNetImageEmbedder));
            }

            using var runOptions = new RunOptions();
            using var inputValue = OrtValue.CreateTensorValueFromMemory(input, ImageShape);
            using var preprocessedValue = OrtValue.CreateTensorValueFromMemory(preprocessed, ImageShape);
            using var featuresValue = OrtValue.CreateTensorValueFromMemory(features, EmbeddingShape);
            OrtValue[] preprocessInputs = [inputValue], preprocessOutputs = [preprocessedValue];
            OrtValue[] modelInputs = [preprocessedValue], modelOutputs = [featuresValue];
            for (int i = 0; i < images.Count; i++)
            {
                ToNetworkPixels(images[i], channels, height, width, rows, cols, input);
                _preprocess.Run(runOptions, preprocessInputNames, preprocessInputs, preprocessOutputNames, preprocessOutputs);
                _model.Run(runOptions, modelInputNames, modelInputs, modelOutputNames, modelOutputs);
                result[i] = (float[])features.Clone();
            }
        }

        return result;
    }

    /// <summary>Releases the ONNX sessions; later calls to <see cref="Embed"/> throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _model?.Dispose();
            _model = null;
            _preprocess?.Dispose();
            _preprocess = null;
            _options?.Dispose();
            _options = null;
        }
    }

    /// <summary>
    /// Writes the preprocessing model's input for one image into <paramref name="destination"/>: RGB planes,
    /// 224 x 224, values 0-255 (clamped [-1, 1] mapped linearly, bilinear resize with half-pixel centres).
    /// </summary>
    internal static void ToNetworkPixels(float[] image, int channels, int height, int width, float[] destination)
        => ToNetworkPixels(image, channels, height, width, BilinearAxis.Create(height, InputSize), BilinearAxis.Create(width, InputSize), destination);

    private static void ToNetworkPixels(float[] image, int channels, int height, int width, BilinearAxis rows, BilinearAxis cols, float[] destination)
    {
        int plane = height * width;
        for (int c = 0; c < 3; c++)
        {
            int source = (channels == 1 ? 0 : c) * plane;
            int target = c * PlaneSize;
            for (int y = 0; y < InputSize; y++)
            {
                int top = source + (rows.Low[y] * width), bottom = source + (rows.High[y] * width);
                float wy = rows.Weight[y];
                for (int x = 0; x < InputSize; x++)
                {
                    int left = cols.Low[x], right = cols.High[x];
                    float wx = cols.Weight[x];
                    float upper = Level(image[top + left]) + (wx * (Level(image[top + right]) - Level(image[top + left])));
                    float lower = Level(image[bottom + left]) + (wx * (Level(image[bottom + right]) - Level(image[bottom + left])));
                    destination[target + (y * InputSize) + x] = upper + (wy * (lower - upper));
                }
            }
        }
    }

    /// <summary>Maps a [-1, 1] value to 0-255, clamping.</summary>
    private static float Level(float v) => (Math.Clamp(v, -1f, 1f) + 1f) * 127.5f;

    private static void CheckImages(IReadOnlyList<float[]> images, int channels, int height, int width)
    {
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1 (greyscale) or 3 (RGB).");
        }

        if (height < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(height), height, "height must be at least 1.");
        }

        if (width < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "width must be at least 1.");
        }

        ArgumentNullException.ThrowIfNull(images);
        long expected = (long)channels * height * width;
        for (int i = 0; i < images.Count; i++)
        {
            float[] image = images[i] ?? throw new ArgumentNullException(nameof(images), $"Image {i} is null.");
            if (image.Length != expected)
            {
                throw new ArgumentException(
                    $"Image {i} has {image.Length} values; channels * height * width = {channels} * {height} * {width} = {expected}.",
                    nameof(images));
            }

            int bad = Array.FindIndex(image, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                throw new ArgumentException($"Image {i} holds {image[bad]} at index {bad}; pixels must be finite numbers in [-1, 1].", nameof(images));
            }
        }
    }

    private static void CheckTensor(IReadOnlyDictionary<string, NodeMetadata> metadata, string name, long[] shape, string path, string kind)
    {
        if (metadata.Count != 1 || !metadata.TryGetValue(name, out var node)
            || node.ElementType != typeof(float) || !node.Dimensions.Select(d => (long)d).SequenceEqual(shape))
        {
            string found = string.Join(", ", metadata.Select(kv => $"{kv.Key} {kv.Value.ElementType.Name}[{string.Join(", ", kv.Value.Dimensions)}]"));
            throw new InvalidDataException(
                $"'{path}' is not the model {PackageId} ships: expected one {kind} {name} Single[{string.Join(", ", shape)}], found {found}.");
        }
    }

    private string RequireFile(string relativePath)
    {
        string path = Path.Combine(ModelDirectory, relativePath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"ResNet-18 model file '{path}' was not found. Image diversity needs the ONNX models of the NuGet package {PackageId}, "
                + $"which Adrpo does not bring in (opt in, to keep apps small): add <PackageReference Include=\"{PackageId}\" Version=\"{PackageVersion}\" /> "
                + "to the app's project (its build copies the models to DnnImageModels/ in the output), or pass the folder that holds "
                + $"{ModelRelativePath} and {PreprocessRelativePath} as modelDirectory (in a notebook: #r \"nuget: {PackageId}, {PackageVersion}\" "
                + "and the package's tools/DnnImageModels folder in the NuGet cache).",
                path);
        }

        return path;
    }

    /// <summary>Bilinear sampling positions along one axis, half-pixel centres (PyTorch <c>align_corners=False</c>).</summary>
    private sealed class BilinearAxis
    {
        private BilinearAxis(int size)
        {
            Low = new int[size];
            High = new int[size];
            Weight = new float[size];
        }

        public int[] Low { get; }

        public int[] High { get; }

        public float[] Weight { get; }

        public static BilinearAxis Create(int inputSize, int outputSize)
        {
            var axis = new BilinearAxis(outputSize);
            double scale = (double)inputSize / outputSize;
            for (int i = 0; i < outputSize; i++)
            {
                double source = Math.Max(0.0, ((i + 0.5) * scale) - 0.5);
                int low = Math.Min((int)source, inputSize - 1);
                axis.Low[i] = low;
                axis.High[i] = Math.Min(low + 1, inputSize - 1);
                axis.Weight[i] = (float)(source - low);
            }

            return axis;
        }
    }
}
