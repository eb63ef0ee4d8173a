import CPhysicsKernels
import Foundation
import GalaxyServer

// Kernel and tick benchmarks. Prints one JSON object per measurement to standard output; the results
// page Benchmarks/BENCHMARKS.md is written from these by Benchmarks/run.sh.
let selected = Set(CommandLine.arguments.dropFirst())
func wants(_ name: String) -> Bool { selected.isEmpty || selected.contains(name) }

func emit(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    FileHandle.standardOutput.synchronizeFile()
}

let catalog = try SolarSystemCatalog.standard()

if wants("nbody") { try NBodyBench.run(catalog: catalog) }
if wants("warp") { try WarpBench.run(catalog: catalog) }
if wants("ships") { try ShipBench.run(catalog: catalog) }
if wants("tick") { try TickBench.run(catalog: catalog) }
if wants("qlaw") { try QLawBench.run(catalog: catalog) }
if wants("automation") { try AutomationBench.run(catalog: catalog) }
if wants("broadcast") { try BroadcastBench.run(catalog: catalog) }
if selected.contains("broadcast_digest") { try BroadcastBench.run(catalog: catalog, digestOnly: true) }
