// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title LabToken
/// @notice An 18-decimal ERC-20 faucet token for the DeFi lab (pool, lending market, simulations, devnet scenarios).
///         Anyone may mint any amount: it is a lab token, never money. Never deploy it where it could carry value.
contract LabToken is ERC20 {
    /// @param name_ The token's name.
    /// @param symbol_ The token's symbol.
    constructor(string memory name_, string memory symbol_) ERC20(name_, symbol_) {}

    /// @notice Mints `amount` to `to`. Open to everyone on purpose: a lab faucet, never money.
    /// @param to The recipient.
    /// @param amount The amount, 18 decimals.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
