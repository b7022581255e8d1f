import ArgumentParser
import Imaging
#if canImport(Glibc)
import Glibc
#endif

/// The `wb` command: BART-style tools over self-describing NeXus/HDF5 files.
struct WB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wb",
        abstract: "wb: a workbench for inverse problems in imaging.",
        discussion: """
        Tools read PNG or HDF5 (FILE.h5[:/dataset]) and write NeXus HDF5 with provenance, or PNG. \
        Inputs come first, the output last: wb <tool> [options] INPUT... OUTPUT. Progress goes \
        to stderr, a one-line summary (or --json) to stdout. Exit codes: 0 success, 1 error, \
        2 usage error.

        Data:       info, convert, phantom
        Forward:    noise, blur, fft
        Inverse:    denoise tv, denoise foe, deblur tv, foe-model, calibrate
        Learning:   learn tv, learn foe
        Simulation: simulate calibration, experiment phase-transition
        Quality:    metrics
        Checks:     check adjoint
        Pipelines:  run
        """,
        version: imagingVersion,
        subcommands: [Info.self, Convert.self, PhantomCommand.self, NoiseCommand.self, Blur.self,
                      FFTCommand.self, Denoise.self, Deblur.self, FoEModelCommand.self, Calibrate.self, Simulate.self, Experiment.self, Learn.self,
                      MetricsCommand.self, Check.self, Run.self])
}

@main
enum Main {
    static func main() {
        do {
            var command = try WB.parseAsRoot()
            try command.run()
        } catch {
            let code = WB.exitCode(for: error)
            if code == .success {
                WB.exit(withError: error)   // --help / --version: prints and exits 0
            }
            let usage = error is ValidationError || code == .validationFailure || error is UsageError
            var message = WB.message(for: error)
            if message.isEmpty, let e = error as? ExitCode { exit(e.rawValue) }
            if message.isEmpty { message = String(describing: error) }
            if usage {
                let full = WB.fullMessage(for: error)
                writeStderr("wb: " + (full.isEmpty ? message : full) + "\n")
                exit(2)
            }
            writeStderr("wb: error: \(message)\n")
            exit(1)
        }
    }
}
