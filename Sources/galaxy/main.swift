import Foundation
import GalaxyServer

let usage = """
    Galaxy: the server of a multiplayer orbital-mechanics game.

    Usage:
      galaxy serve [options]       run the server on embedded defaults
      galaxy gateway [options]     run a gateway replica that reaches the engine over Redis
      galaxy simulate [options]    run the world headless and write its final state as JSON
      galaxy help                  show this text

    Run 'galaxy serve --help', 'galaxy gateway --help' or 'galaxy simulate --help' for their options.
    """

let arguments = CommandLine.arguments
let command = arguments.count > 1 ? arguments[1] : "help"
do {
    switch command {
    case "serve":
        try ServeCommand.run(arguments.dropFirst(2))
    case "gateway":
        try GatewayCommand.run(arguments.dropFirst(2))
    case "simulate":
        try SimulateCommand.run(arguments.dropFirst(2))
    case "help", "--help", "-h":
        print(usage)
    default:
        throw UsageError("unknown command '\(command)'; run 'galaxy help'")
    }
} catch let error as UsageError {
    FileHandle.standardError.write(Data("galaxy: \(error.description)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("galaxy: \(error)\n".utf8))
    exit(1)
}
