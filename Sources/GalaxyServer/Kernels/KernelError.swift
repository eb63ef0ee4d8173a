import CPhysicsKernels

/// A failure reported by a C physics kernel, with the kernel's name and the inputs that matter for reproducing it.
public struct KernelError: Error, CustomStringConvertible, Equatable {
    public let kernel: String
    public let code: Int32
    public let context: String

    public init(kernel: String, code: Int32, context: String) {
        self.kernel = kernel
        self.code = code
        self.context = context
    }

    public var message: String { String(cString: gk_status_message(code)) }

    public var description: String { "\(kernel) failed: \(message) (code \(code)); \(context)" }

    /// Throws when `code` is an error. GK_ERR_NO_CONVERGENCE comes with a usable bisection result and is
    /// thrown only when `acceptNoConvergence` is false.
    static func check(
        _ code: Int32, kernel: String, context: @autoclosure () -> String, acceptNoConvergence: Bool = true
    ) throws {
        let usable = code == Int32(GK_OK) || (acceptNoConvergence && code == Int32(GK_ERR_NO_CONVERGENCE))
        if !usable {
            throw KernelError(kernel: kernel, code: code, context: context())
        }
    }
}
