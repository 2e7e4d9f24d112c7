// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title DataLicence
/// @notice The licences of a `DataMarket`, as non-transferable ERC-721 tokens (token id = licence id). Only the market
///         that deployed this contract mints; a licence never moves from its buyer, and approvals are refused.
///         Signals ERC-5192 ("minimal soulbound"): every token is locked. The terms of a licence are read from the
///         market (`getLicence`); `tokenURI` is empty.
contract DataLicence is ERC721 {
    /// @notice `caller` is not the market.
    error NotMarket(address caller);
    /// @notice Licences cannot be transferred (or approved for transfer).
    error NonTransferable(uint256 tokenId);
    /// @notice Operators cannot be approved: nothing can be transferred.
    error ApprovalsDisabled();

    /// @notice ERC-5192: the token is locked (emitted at mint; it never unlocks).
    event Locked(uint256 tokenId);

    /// @notice The market that mints the licences.
    address public immutable market;

    /// @param market_ The market (the deployer, in practice).
    constructor(address market_) ERC721("Machina Data Licence", "MDL") {
        market = market_;
    }

    /// @notice Market only: mints licence `tokenId` to `to` (no receiver callback, so any account can hold one).
    /// @param to The buyer.
    /// @param tokenId The licence id.
    function mint(address to, uint256 tokenId) external {
        if (msg.sender != market) revert NotMarket(msg.sender);
        _mint(to, tokenId);
        emit Locked(tokenId);
    }

    /// @notice ERC-5192: always true for an existing licence.
    /// @param tokenId The licence id (reverts `ERC721NonexistentToken` if unknown).
    /// @return True.
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /// @notice Refused: licences are non-transferable.
    function approve(address, uint256 tokenId) public pure override {
        revert NonTransferable(tokenId);
    }

    /// @notice Refused: licences are non-transferable.
    function setApprovalForAll(address, bool) public pure override {
        revert ApprovalsDisabled();
    }

    /// @inheritdoc ERC721
    /// @dev Adds ERC-5192 (0xb45a3c0e).
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == 0xb45a3c0e || super.supportsInterface(interfaceId);
    }

    /// @dev Mint only: any move of an existing token reverts `NonTransferable`.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (_ownerOf(tokenId) != address(0)) revert NonTransferable(tokenId);
        return super._update(to, tokenId, auth);
    }
}
