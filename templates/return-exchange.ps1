<#
.SYNOPSIS
  Returns the messages logwacht listed to their senders (ICT protocol art. 6.5, CTL-10).

.DESCRIPTION
  Written by `logwacht returns` beside returns-exchange.csv, the list it reads (no value of
  the list is written into this script). For each row it finds the recipient's copy by its
  Internet Message-ID, forwards it to the sender with a note that the school returned it,
  and moves the copy to the recipient's Deleted Items. Without -Apply it only says what it
  would do. A recipient outside the school's tenant (an external address) cannot be
  reached: the row is reported and skipped.

  Needs the Microsoft Graph PowerShell SDK (Install-Module Microsoft.Graph.Mail) and a
  connection that may read and send mail for the recipients' mailboxes (Mail.ReadWrite and
  Mail.Send), for example an app registration with application permissions:
    Connect-MgGraph -ClientId <app id> -TenantId <tenant id> -CertificateThumbprint <thumbprint>

.PARAMETER Apply
  Forward each copy to its sender and move it to Deleted Items; without it, a dry run.

.PARAMETER List
  Another list than returns-exchange.csv beside this script.

.EXAMPLE
  .\return-exchange.ps1            # what would be returned
  .\return-exchange.ps1 -Apply     # return them
#>
[CmdletBinding()]
param(
    [switch]$Apply,
    [string]$List = (Join-Path $PSScriptRoot 'returns-exchange.csv')
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
if (-not (Get-MgContext)) {
    throw 'Not connected to Microsoft Graph: run Connect-MgGraph first (Get-Help .\return-exchange.ps1).'
}
$returned = 0
$failed = 0
foreach ($row in (Import-Csv -Path $List -Encoding UTF8)) {
    $id = $row.MessageId
    if ([string]::IsNullOrWhiteSpace($id) -or [string]::IsNullOrWhiteSpace($row.RecipientAddress)) {
        Write-Warning "a row without MessageId or RecipientAddress is skipped (trace id $($row.MessageTraceId))"
        continue
    }
    try {
        # An OData string literal: a single quote inside is doubled.
        $filter = "internetMessageId eq '" + $id.Replace("'", "''") + "'"
        $copies = @(Get-MgUserMessage -UserId $row.RecipientAddress -Filter $filter -Property 'id,internetMessageId' -All)
        if ($copies.Count -eq 0) {
            Write-Warning "$($row.RecipientAddress): no copy of $id left in the mailbox"
            continue
        }
        foreach ($copy in $copies) {
            if (-not $Apply) {
                Write-Output "would return $id from $($row.RecipientAddress) to $($row.SenderAddress) (rule $($row.Rule))"
                continue
            }
            $note = "The school's ICT service returns this message to you: it was found suspicious (rule $($row.Rule): $($row.Reason)). It was removed from the recipient's mailbox."
            Invoke-MgForwardUserMessage -UserId $row.RecipientAddress -MessageId $copy.Id -BodyParameter @{
                Comment      = $note
                ToRecipients = @(@{ EmailAddress = @{ Address = $row.SenderAddress } })
            }
            Move-MgUserMessage -UserId $row.RecipientAddress -MessageId $copy.Id -DestinationId 'deleteditems' | Out-Null
            Write-Output "returned $id from $($row.RecipientAddress) to $($row.SenderAddress)"
            $returned++
        }
    }
    catch {
        Write-Warning "$($row.RecipientAddress): $id not returned: $($_.Exception.Message)"
        $failed++
    }
}
Write-Output "$returned returned, $failed failed"
if ($failed -gt 0) { exit 1 }
